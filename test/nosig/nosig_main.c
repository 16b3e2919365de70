/* Compartment 1 calls an assembly function of compartment 2 twice. */
int asm_add(int a, int b);

int main(void)
{
	int first = asm_add(2, 3), second = asm_add(2, 3);
	return first == 105 && second == 106 ? 0 : 1;
}
