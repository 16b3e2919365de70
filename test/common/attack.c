#include "attack.h"

#include <stdio.h>

int judge(int value)
{
	if (value != SECRET) {
		printf("read %#x, not the secret\n", value);
		return ATTACK_FAILED;
	}
	printf("read compartment 2's secret\n");
	return ATTACK_WORKED;
}
