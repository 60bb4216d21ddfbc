/*
 * via_target.h - the --via option of connect and listen: check it with
 * the rest of the command line, and turn it into what a relay is asked
 * for (via.h): CONNECT to the pseudonym of the listener's key, CLAIM of a
 * code's number, LISTEN under our own key's pseudonym.
 */
#ifndef SEALCAT_VIA_TARGET_H
#define SEALCAT_VIA_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "rendezvous/via.h"
#include "session/conn.h"

/*
 * connect --via RELAY [NAME]: checks the options that go with it.
 * Returns -1 to go on, or EXIT_USAGE after reporting.
 */
int via_target_check(const char *cmd, const char *relay, const char *name,
    size_t peer_count, bool code, bool trust_new);

/*
 * Fills *via and *target for connect --via: the key from peer_token, or
 * NAME's line in known_path; with code, its number.  Returns EXIT_OK, or
 * EXIT_USAGE after reporting.
 */
int via_target_make(const char *relay, const char *name,
    const char *peer_token, const struct conn_code *code,
    const char *known_path, int family, unsigned timeout_s, struct via *via,
    struct via_target *target);

#endif
