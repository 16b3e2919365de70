/* Compartment 2, compiled by plain cc without -ffunction-sections: the
 * assembler resolves `lea bump(%rip)` inside .text and leaves no
 * relocation, so objrewrite must add one to route the pointer to a gate. */
static int hits;

static int bump(int n)
{
	hits += n;   /* compartment 2's data: faults unless run in compartment 2 */
	return hits;
}

int (*get_bump(void))(int)
{
	return bump;
}
