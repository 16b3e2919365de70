/* Exported and returning long double (x87 st0): no gate for it yet. */
long double half(long double x) { return x / 2; }
