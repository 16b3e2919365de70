/* Member of libapp.a that nothing references: the linker must not pull
 * it in, whether or not the archive was rewritten. */
int app_unused_symbol = 1;
int app_unused(void) { return app_unused_symbol; }
