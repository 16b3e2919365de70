/* The isolation test's two compartments: iso_main.c (1) and iso_lib.c (2). */
#ifndef ISO_H
#define ISO_H

extern int lib_data;          /* .data of compartment 2 */
extern int lib_bss;           /* .bss of compartment 2 */
extern int lib_config_shared, lib_config_shared_bss;   /* shared by ia2.conf */
extern const char lib_rodata[];
extern const char *const lib_relro[]; /* .data.rel.ro: RELRO, stays pkey 0 */

int lib_read(const int *p);
void lib_write(int *p, int v);
void lib_stash(int *p);
void lib_poke_stash(int v);
int *lib_stack_address(void);
int lib_read_rodata(const char *p);
/* Copies n bytes from p with libc's memcpy and returns the first int. */
int lib_copy_in(const void *p, unsigned long n);
/* Calls cb, through the pointer, with a message in a local array: on
 * compartment 2's stack. The shape of a library's error callback. */
enum iso_level { ISO_INFO, ISO_WARNING };
typedef void iso_listener(void *ctx, const char *msg, enum iso_level level, unsigned code);
int lib_tell(iso_listener *cb, void *ctx);

#endif
