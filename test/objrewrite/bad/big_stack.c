/* Passes more bytes on the stack than a gate can carry. */
struct wide { long v[20]; };

long first(struct wide w) { return w.v[0] + w.v[19]; }
