#include "gatebody.h"

#include <stdint.h>
#include <string.h>

#include "ia2/pkru.h"

void *gate_body(const void *gate, int c)
{
	const uint8_t *p = gate;

	for (int i = 0; i < 64; i++, p++) {
		const uint8_t *j;
		uint32_t v;
		int32_t rel;
		if (p[0] == 0x3d) {   /* cmp $imm32, %eax */
			memcpy(&v, p + 1, 4);
			j = p + 5;
		} else if (p[0] == 0x83 && p[1] == 0xf8) {   /* cmp $imm8, %eax */
			v = (uint32_t)(int32_t)(int8_t)p[2];
			j = p + 3;
		} else {
			continue;
		}
		if (v != IA2_PKRU(c))
			continue;
		if (j[0] == 0x0f && j[1] == 0x84) {
			memcpy(&rel, j + 2, 4);
			return (void *)(j + 6 + rel);
		}
		if (j[0] == 0x74)
			return (void *)(j + 2 + (int8_t)j[1]);
	}
	return NULL;
}
