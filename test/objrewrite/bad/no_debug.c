/* Built without -g: its gate gets the conservative signature and a
 * warning, and the rewrite goes on. */
int undocumented(int x) { return x * 2; }
