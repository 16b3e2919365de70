/* Variables for share rules (share.sh): each kind a rule may name. */
int shared_counter = 5;
int shared_zero;
int private_value = 7;
static int static_shared = 3;
const int read_only = 1;
__thread int tls_var;

int touch(void)
{
	static_shared++;
	return shared_counter + shared_zero + private_value + static_shared + read_only + tls_var;
}

/* Function-local statics, named by their source names: seed in one
 * function, hits in two. */
int next_seed(void)
{
	static int seed = 11;

	return seed++;
}

int hit_a(void)
{
	static int hits;

	return ++hits;
}

int hit_b(void)
{
	static int hits;

	return hits += 2;
}
