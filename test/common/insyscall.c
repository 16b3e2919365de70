#include "insyscall.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* /proc/PID/task/TID/syscall starts with the number of the call a
 * blocked thread is in, "running" while it runs (proc(5)). */
static int in_syscall(pid_t tid, long nr)
{
	char path[64], line[64];
	FILE *f;
	int in = 0;

	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
	f = fopen(path, "r");
	if (f) {
		char *end;
		in = fgets(line, sizeof line, f) && strtol(line, &end, 10) == nr && end != line &&
		     *end == ' ';
		fclose(f);
	}
	return in;
}

void wait_in_syscall(pid_t tid, long nr)
{
	while (!in_syscall(tid, nr))
		usleep(1000);
}
