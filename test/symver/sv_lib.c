/* Compartment 2: a library whose exported functions carry versions, as
 * autotools libraries give them with .symver: foo has an old version V1
 * and the default V2. Each call writes the library's own data, which
 * faults unless the gate switched to compartment 2. */
static int calls;

__asm__(".symver foo_v1, foo@V1");
__asm__(".symver foo_v2, foo@@V2");

int foo_v1(int x)
{
	calls++;
	return x + 1;
}

int foo_v2(int x)
{
	calls++;
	return x + 2;
}

int sv_calls(void)
{
	return calls;
}
