#ifndef WRITERS_TEST_H
#define WRITERS_TEST_H

#define SECRET 0x5ec2e7
/* The status an attack exits with when it read compartment 2's secret. */
#define ATTACK_WORKED 3
/* ... and when it found nothing to attack with. */
#define NOTHING_FOUND 4

const int *lib_secret_address(void);

#endif
