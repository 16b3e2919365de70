/* Compartment 1 calls a static function of compartment 2 through the
 * pointer compartment 2 hands out. */
int (*get_bump(void))(int);

int main(void)
{
	int (*f)(int) = get_bump();
	return f(2) == 2 && f(3) == 5 ? 0 : 1;
}
