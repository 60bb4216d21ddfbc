/*
 * trust.h - whom we talk to: --allow/--authorized on the listening side,
 * --peer and known_peers on the connecting side (PROTOCOL.md §2: the
 * initiator checks the server before message 3, the responder checks the
 * client after it).
 */
#ifndef SEALCAT_TRUST_H
#define SEALCAT_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/suite.h"

/* The longest authorized_peers comment kept as a client's name. */
#define TRUST_NAME_MAX 128

struct trusted_key {
	const struct suite *suite;
	uint8_t pub[SUITE_PUB_MAX];
	/* authorized_peers: the line's comment ("alice@laptop"), or "". */
	char name[TRUST_NAME_MAX];
};

enum trust_mode {
	TRUST_LIST,		/* only keys in the list (--allow, --peer, files) */
	TRUST_ANY,		/* --allow-any: any authenticated peer */
	TRUST_KNOWN_PEERS	/* connect without --peer: known_peers file */
};

struct trust {
	enum trust_mode mode;
	struct trusted_key *keys;
	size_t count;
	size_t cap;
	/* TRUST_KNOWN_PEERS only: */
	char known_path[4096];
	/*
	 * The server's name as the transport reports it (struct stream's
	 * name): today "HOST:PORT" as the user typed it ("[::1]:9000" for
	 * IPv6).  Set it on the connecting side with --peer too: a refusal
	 * then names the server instead of suggesting --allow.
	 */
	char host_port[300];
	bool trust_new;		/* --trust-new: record an unknown server */
	/*
	 * TRUST_LIST on the listening side (trust_use_file()): the
	 * authorized_peers file read again for every decision, "" for none,
	 * and whether it may be missing.  The first fixed_count keys are the
	 * --allow tokens, which stay.
	 */
	char authorized_path[4096];
	bool authorized_missing_ok;
	size_t fixed_count;
	/* Set by trust_allows() for TRUST_LIST: the name (comment) of the
	 * authorized_peers line that allowed the peer, or "". */
	char peer_name[TRUST_NAME_MAX];
	/* trust_check_known() has reported known_peers' bad lines. */
	bool known_checked;
	/* How long to wait for another process's lock on known_peers. */
	int lock_wait_ms;
};

/* The default lock_wait_ms: a lookup or an append takes milliseconds. */
#define TRUST_LOCK_WAIT_MS 5000

/* Zeroed, TRUST_LIST with no keys, the default lock_wait_ms. */
void trust_init(struct trust *t);

/* Frees the list; accepts NULL. */
void trust_clear(struct trust *t);

/* Adds one token (what names it in errors, e.g. "--allow").  Returns 0, or
 * -1 after reporting. */
int trust_add_token(struct trust *t, const char *token, const char *what);

/*
 * Adds every key of an authorized_peers file: lines "TOKEN [comment]",
 * '#' comments, blank lines.  A bad line is reported with file and line
 * number.  With missing_ok, a file that does not exist adds nothing.
 * Returns 0, or -1 after reporting.
 */
int trust_load_file(struct trust *t, const char *path, bool missing_ok);

/*
 * Like trust_load_file(), and makes trust_allows() read the file again
 * each time it decides, as sshd reads authorized_keys, so that an edit
 * counts from the next connection on without a restart.  The keys already
 * in t (--allow tokens) stay.  If the file cannot be read then, or is no
 * longer valid, that decision is a refusal.  Returns 0, or -1 after
 * reporting.
 */
int trust_use_file(struct trust *t, const char *path, bool missing_ok);

/*
 * Decides about a peer's static key once the handshake has revealed it.
 * Returns true if trusted.  When not, reports why (untrusted key with the
 * peer's token and the command to trust it, or a known_peers mismatch with
 * both tokens).  For TRUST_KNOWN_PEERS with trust_new, an unknown server is
 * recorded and accepted.  known_peers is read under a shared flock() and,
 * with trust_new, looked up and appended to under one exclusive flock(), so
 * two first contacts at once record one key, not two; the line is
 * appended whole and fsync()ed, or not at all.  A lock held longer than
 * lock_wait_ms by another process is reported and the server refused.
 */
bool trust_allows(struct trust *t, const struct suite *suite,
    const uint8_t *pub);

/*
 * The key of name (a relay target's NAME, or a HOST:PORT) in the
 * known_peers file path, read under a shared flock() with the same checks
 * as a lookup: its first line for name.  A binary or overlong line is
 * skipped without a word (trust_check_known() reports it).  Returns 1 with
 * *suite and pub set, 0 if the file or the name is not there, or -1 after
 * reporting.
 */
int trust_known_find(const char *path, const char *name,
    const struct suite **suite, uint8_t *pub);

/*
 * Appends "TOKEN COMMENT" to the authorized_peers file path (created 0600
 * with its directories if missing), under an exclusive flock(), all of it
 * on disk or nothing: a client paired by code.  Returns 0, or -1 after
 * reporting.
 */
int trust_record_client(const char *path, const char *token,
    const char *comment);

/*
 * TRUST_KNOWN_PEERS, before connecting: checks known_peers by the rules
 * (owner, modes) and reports each malformed line (a bad entry, binary
 * data, a line too long) with file:line as a warning (such lines are then
 * skipped, and the servers they meant are unknown).  A missing file is
 * fine.  Returns 0, or -1 after reporting a file that cannot be used at
 * all (a configuration error).
 */
int trust_check_known(struct trust *t);

/*
 * Opens the trust file path (authorized_peers or known_peers) by the rules
 * of trust.c for a rewrite, O_RDWR, and takes the exclusive flock() that
 * --trust-new and trust_record_client() take, waiting up to wait_ms.  With
 * create a missing file is created (0600, with its directories).  resolved
 * (room for PATH_MAX) gets its real path: replace that, under the lock,
 * by renaming a new file over it (readers and writers waiting for the lock
 * then open the new file).  Returns the descriptor, -2 when the file does
 * not exist and not create, or -1 after reporting.
 */
int trust_lock_file(const char *path, bool create, int wait_ms,
    char *resolved);

#endif
