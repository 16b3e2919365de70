#include "rawcall.h"

__asm__(".text\n"
	".globl raw_call\n"
	".hidden raw_call\n"
	".type raw_call, @function\n"
	"raw_call:\n"
	"\tmov %rdi, %rax\n"
	"\tmov %rsi, %rdi\n"
	"\tmov %rdx, %rsi\n"
	"\tmov %rcx, %rdx\n"
	"\tjmp *%rax\n"
	".size raw_call, .-raw_call\n");
