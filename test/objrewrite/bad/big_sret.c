/* Returns a struct in memory larger than a gate can carry. */
struct big { char bytes[256]; };

struct big make_big(char c)
{
	struct big b;

	for (unsigned i = 0; i < sizeof b.bytes; i++)
		b.bytes[i] = c;
	return b;
}
