/* main: an exported function like any other, with a gate that
 * __libc_start_main, compartment 0, calls. */
int caller(int);

int main(void) { return caller(1) != 4; }
