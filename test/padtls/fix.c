/* A DSO with initialized (.tdata) and zeroed (.tbss) TLS, and with
 * -DALIGNED a variable aligned beyond a page. fix_check() says whether
 * this thread's copies start as they must and can be written. */
#ifdef ALIGNED
#define ALIGN 8192
#else
#define ALIGN 8
#endif

__thread int fix_tdata = 42;
__thread int fix_tbss;
_Alignas(ALIGN) __thread char fix_aligned[64];

int fix_check(void)
{
	int ok = fix_tdata == 42 && fix_tbss == 0 && fix_aligned[7] == 0 &&
		 ((unsigned long)fix_aligned & (ALIGN - 1)) == 0;

	fix_tdata++;
	fix_tbss = 1;
	fix_aligned[7] = 1;
	return ok && fix_tdata == 43;
}
