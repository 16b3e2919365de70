/* xrstor can load PKRU from memory, so it is refused like wrpkru. */
void restore(void *area)
{
	__asm__ volatile("xrstor (%0)" :: "r"(area), "a"(-1), "d"(-1) : "memory");
}
