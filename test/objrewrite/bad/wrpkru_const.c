/* No wrpkru instruction, but the constant encodes its bytes: the
 * immediate of `mov $0xef010f, %eax` is 0f 01 ef 00, a gadget at an
 * unaligned offset. */
int magic(void) { return 0xef010f; }
