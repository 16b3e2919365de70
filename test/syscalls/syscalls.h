#ifndef SYSCALLS_TEST_H
#define SYSCALLS_TEST_H

#define SECRET 0x5ec2e7
/* The status an attack exits with when it read compartment 2's secret. */
#define ATTACK_WORKED 3
/* ... and when its call returned, but the secret stayed out of reach. */
#define ATTACK_FAILED 4

const int *lib_secret_address(void);

#endif
