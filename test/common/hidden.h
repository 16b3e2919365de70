/* Test helper for attacks: the address of a symbol that a DSO does not
 * export, from the symbol table in its file, as code of a compromised
 * compartment could find it (or by scanning the DSO's code). */
#ifndef IA2_TEST_HIDDEN_H
#define IA2_TEST_HIDDEN_H

/* The address of `name` in the loaded DSO whose path contains `dso`;
 * NULL if there is none or it has no such symbol. */
void *hidden_symbol(const char *dso, const char *name);

#endif
