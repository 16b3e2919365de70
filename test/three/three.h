/* Three compartments: three.c (1) uses liba (2), which uses libb (3). */
#ifndef THREE_H
#define THREE_H

extern int a_data;
extern int b_data;

int a_sum_via_b(int n, int (*cb)(int));  /* 2 -> 3 -> callback in 1 */
int b_twice_then(int x, int (*cb)(int)); /* 3 calls cb, which lives in 1 */
int b_read(const int *p);
int a_read(const int *p);
int a_ask_b_to_read_a_data(void);        /* 3 reads 2's data: must fault */

#endif
