/*
 * peers.h - `sealcat peers`: list and edit the two trust files
 * (authorized_peers: "TOKEN [comment]", known_peers: "HOST:PORT TOKEN" or
 * "NAME TOKEN").  Every change is checked before it is written, and the
 * file is rewritten whole (util.h: atomic_write_file(), keeping its mode,
 * owner and group) under the exclusive lock of trust_lock_file(), the
 * one --trust-new takes, so a concurrent connect or another `peers` never
 * loses a line.  Errors are reported here; -1 means a configuration error
 * (exit 2), PEERS_RUNTIME a failure at run time (exit 1).
 */
#ifndef SEALCAT_PEERS_H
#define SEALCAT_PEERS_H

#include <stdbool.h>
#include <stdio.h>

/* Returned besides 0 and -1: a failure at run time, already reported. */
#define PEERS_RUNTIME (-3)
/* peers_forget(): nothing matched (reported); callers exit 1. */
#define PEERS_NONE (-4)

/* The two files, as config_path() names them or as given. */
struct peers_files {
	const char *authorized;
	const char *known;
};

/* How a known_peers key or a forget argument reads. */
enum peers_key {
	PEERS_KEY_BAD,
	PEERS_KEY_HOST_PORT,	/* "host:9000", "[::1]:9000" */
	PEERS_KEY_NAME,		/* a word without ':': a relay target */
	PEERS_KEY_TOKEN		/* a public key token */
};

/* What arg is (a token first, then HOST:PORT, then NAME). */
enum peers_key peers_key_kind(const char *arg);

/*
 * Prints every entry of both files on out, one a line:
 * "FILE:LINE TOKEN [COMMENT]" and "FILE:LINE HOST:PORT|NAME TOKEN".  A bad
 * line is reported (FILE:LINE) and the rest still listed.  Returns 0, -1
 * if a file had a bad line or could not be read, PEERS_RUNTIME if out
 * failed.
 */
int peers_list(const struct peers_files *f, FILE *out);

/*
 * Adds "TOKEN COMMENT" to authorized_peers.  arg is a token, a .pub line
 * ("TOKEN comment") or a .pub file; comment (NULL: the .pub's, if any)
 * must be printable text.  A token already there is left as it is.
 */
int peers_allow(const struct peers_files *f, const char *arg,
    const char *comment);

/* Puts "KEY TOKEN" in known_peers, replacing the lines KEY had.  token may
 * be a .pub file too. */
int peers_trust(const struct peers_files *f, const char *key,
    const char *token);

/* Removes the lines of either file that arg (HOST:PORT, NAME or TOKEN)
 * names and reports each.  Returns 0, -1, PEERS_RUNTIME or PEERS_NONE. */
int peers_forget(const struct peers_files *f, const char *arg);

#endif
