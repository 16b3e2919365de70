/* Test helper for attacks on compartment 2's secret (test/syscalls,
 * test/monitor): the value, the statuses an attack exits with, and the
 * verdict on what it read. */
#ifndef IA2_TEST_ATTACK_H
#define IA2_TEST_ATTACK_H

#define SECRET 0x5ec2e7
/* The status an attack exits with when it reached compartment 2's secret
 * or memory, and when its call returned but did not. */
#define ATTACK_WORKED 3
#define ATTACK_FAILED 4

/* ATTACK_WORKED if value is the secret, ATTACK_FAILED otherwise, after a
 * line that says which. */
int judge(int value);

#endif
