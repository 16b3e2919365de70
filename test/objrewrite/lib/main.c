/* main: an exported function like any other in a shared library; with
 * --exe it gets main's gate. */
int caller(int);

int main(void) { return caller(1) != 4; }
