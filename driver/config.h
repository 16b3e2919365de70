/* The ia2 config file maps link outputs to compartments, one rule a line:
 *
 *     # comment
 *     GLOB  COMPARTMENT
 *
 * GLOB is matched with fnmatch(3) against the basename of the link output
 * (`-o`); COMPARTMENT is 1..15. The first matching line wins. */
#ifndef IA2_CONFIG_H
#define IA2_CONFIG_H

/* Returns the compartment for `output`, 0 if no line matches, or -1 after
 * printing "FILE:LINE: what is wrong" for a malformed file. */
int config_compartment(const char *config_path, const char *output);

/* Parses "N" as a compartment number 1..15; -1 if it is not one. */
int parse_compartment(const char *s);

#endif
