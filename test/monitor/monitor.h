#ifndef MONITOR_TEST_H
#define MONITOR_TEST_H

#include "../common/attack.h"

/* Compartment 2's secret, alone on its page of .data. */
int *lib_secret_address(void);
int lib_read_secret(void);
void lib_set_secret(int value);
/* Calls callback with its secret's address, as if the callback were a
 * gate into another compartment, which could not read it. */
int lib_call_back(int (*callback)(const int *));
void lib_handle_usr2(void);
int lib_make_socket(void);
/* Four pages of compartment 2's data, each word its own index. */
int *lib_victim_address(void);
void lib_fill_victim(void);
int lib_victim_intact(void);
void lib_raise_usr2(void);
/* A page of compartment 2's shared memory (MAP_SHARED, pkey 2) that
 * holds the secret. */
int *lib_shared_secret(void);

#endif
