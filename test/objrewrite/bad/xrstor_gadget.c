/* No xrstor instruction, but its bytes inside a constant: 0f ae 28 is
 * `xrstor (%rax)` to a jump into the middle of the mov. Refused like an
 * unaligned wrpkru. */
int constant(void)
{
	return 0x28ae0f;
}
