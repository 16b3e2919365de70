#include <stdio.h>
#include <string.h>

int count_add(int n);
int *count_storage(void);

int main(int argc, char **argv)
{
	int t = 0;
	for (int i = 1; i <= 10; i++)
		t = count_add(i);
	printf("counter: total %d\n", t);
	if (argc > 1 && !strcmp(argv[1], "peek"))
		printf("counter: peeked %d\n", *count_storage());
	return t == 55 ? 0 : 1;
}
