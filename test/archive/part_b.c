/* Member of libparts.a (compartment 2). */
int part_b_twice(int x)
{
	return 2 * x;
}
