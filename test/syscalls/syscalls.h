#ifndef SYSCALLS_TEST_H
#define SYSCALLS_TEST_H

#include "../common/attack.h"

const int *lib_secret_address(void);

#endif
