/* The two halves of the compartmentalized dav1d, with the same
 * libdav1d.so the CLI uses (compartment 2); this program is compartment
 * 1, like the CLI.
 *
 *  - logger: a logger callback here gets the library's message, whose
 *    va_list the gate copies (docs/design.md, "Variadic functions"); the
 *    library logs an OBU of a reserved type.
 *
 * Each other case must die with SEGV_PKUERR:
 *
 *  - lib-reads-caller: the library is handed a buffer in the caller's
 *    private heap (dav1d_data_wrap) and reads it to decode;
 *  - caller-reads-context, caller-writes-context: the caller touches the
 *    decoder's private state behind the opaque Dav1dContext pointer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dav1d/dav1d.h>

static void free_nothing(const uint8_t *buf, void *cookie)
{
	(void)buf;
	(void)cookie;
}

static char logged[256];

static void log_here(void *cookie, const char *fmt, va_list ap)
{
	vsnprintf(cookie, sizeof logged, fmt, ap);
}

static Dav1dContext *open_decoder(void)
{
	Dav1dSettings s;
	Dav1dContext *c;

	dav1d_default_settings(&s);
	s.n_threads = 1;
	s.logger.callback = log_here;
	s.logger.cookie = logged;
	if (dav1d_open(&c, &s) < 0) {
		fprintf(stderr, "harness: dav1d_open failed\n");
		exit(2);
	}
	return c;
}

int main(int argc, char **argv)
{
	const char *mode = argc == 2 ? argv[1] : "";
	Dav1dContext *c = open_decoder();

	if (!strcmp(mode, "lib-reads-caller")) {
		/* An OBU header for a temporal delimiter, then padding. */
		uint8_t *mine = malloc(4096);
		Dav1dData data;
		memset(mine, 0, 4096);
		mine[0] = 0x12;
		if (dav1d_data_wrap(&data, mine, 4096, free_nothing, NULL) < 0)
			return 2;
		return dav1d_send_data(c, &data) == 0 ? 0 : 3;
	}
	if (!strcmp(mode, "logger")) {
		/* An OBU of reserved type 9 (AV1 5.3.1), with a size field of 1,
		 * and its byte. */
		static const uint8_t obu[] = {9 << 3 | 2, 1, 0};
		Dav1dData data;
		uint8_t *buf = dav1d_data_create(&data, sizeof obu);
		if (!buf)
			return 2;
		memcpy(buf, obu, sizeof obu);
		dav1d_send_data(c, &data);
		printf("logged: %s", logged);
		return strcmp(logged, "Unknown OBU type 9 of size 1\n") != 0;
	}
	if (!strcmp(mode, "caller-reads-context"))
		return *(volatile unsigned char *)c;
	if (!strcmp(mode, "caller-writes-context"))
		return *(volatile unsigned char *)c = 0, 0;
	fprintf(stderr, "usage: harness logger|lib-reads-caller|caller-reads-context|"
			"caller-writes-context\n");
	return 2;
}
