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

#endif
