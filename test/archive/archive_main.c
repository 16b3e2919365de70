/* Compartment 1, linked from an archive of its own; calls into a shared
 * library whose code came from another archive. */
int part_a(int x);
int (*part_a_adder(void))(int);
int app_count(void);

int main(void)
{
	int (*adder)(int) = part_a_adder();
	int ok = part_a(5) == 11 && adder(1) == 101 && adder(1) == 102;
	return ok && app_count() == 1 && app_count() == 2 ? 0 : 1;
}
