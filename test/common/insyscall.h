/* Test helper: wait until another thread of this process is blocked in
 * a given system call, so that a test can signal or cancel it there and
 * nowhere else, however slowly the machine runs. */
#ifndef IA2_TEST_INSYSCALL_H
#define IA2_TEST_INSYSCALL_H

#include <sys/types.h>

/* Returns once thread tid waits in syscall nr (SYS_read, SYS_pause...). */
void wait_in_syscall(pid_t tid, long nr);

#endif
