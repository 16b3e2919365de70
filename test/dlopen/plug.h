/* The plugins dl_main.c loads with dlopen: libplug.so (compartment 2,
 * which no DSO has at startup), libplug_one.so (compartment 1, the
 * executable's), libplug_three.so (compartment 3, which the config
 * does not name) and libclaim.so (compartment 2, which no path rule
 * names). All are built from plug.c. */
#ifndef PLUG_H
#define PLUG_H

extern int plug_secret;

int plug_initialized(void);        /* what the constructor stored */
int plug_add(int a, int b);
int plug_call(int (*cb)(int), int x);
void plug_write(int *p);           /* *p = 1, from the plugin's compartment */
int plug_tls_swap(int v);          /* this thread's TLS value, replaced by v */
int *plug_tls_addr(void);          /* where this thread's TLS value is */
void plug_on_signal(int sig);
void plug_install_handler(int sig);  /* plug_on_signal, installed by the plugin */
int plug_raise_deep(int sig);       /* 1 if its frame survived the handler */
int plug_handled(void);            /* how many signals the handler took */
void *plug_load(const char *file); /* dlopen(file, RTLD_NOW), from the plugin's compartment */
int plug_map_over(void *code);     /* maps the plugin's first page over code's page */
void plug_read_target(int sig);    /* prints the int at DL_GADGET_TARGET and exits 0 */
extern char plug_scratch[512];     /* room in the plugin's data */

#endif
