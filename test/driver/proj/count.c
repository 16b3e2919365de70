static int total;

int count_add(int n)
{
	total += n;
	return total;
}

int *count_storage(void)
{
	return &total;
}
