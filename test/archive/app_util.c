/* Member of libapp.a (compartment 1): selected only because main uses it. */
static int calls;

int app_count(void)
{
	return ++calls;
}
