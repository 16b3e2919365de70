/* Member of libparts.a (compartment 2). */
int part_b_twice(int x);

static int offset = 100;

static int add_offset(int x)
{
	return x + offset++;
}

int part_a(int x)
{
	return part_b_twice(x) + 1;
}

int (*part_a_adder(void))(int)
{
	return add_offset;
}
