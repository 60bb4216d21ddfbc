/*
 * rendezvous.h - the relay protocol (PROTOCOL.md, "Relay protocol"): the
 * one line a client sends to a relay, the lines the relay answers, and the
 * rendezvous id of a listener in key mode.  Pure functions, no I/O: the
 * relay server (relay_server.c) and the clients share them, and the
 * parsers are fuzzed (tests/fuzz/fuzz_relay_line.c).
 */
#ifndef SEALCAT_RENDEZVOUS_H
#define SEALCAT_RENDEZVOUS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/suite.h"

#define RENDEZVOUS_LINE_MAX 128		/* a line with its LF, either way */
#define RENDEZVOUS_VERSION "SEALCAT-RELAY/1"
#define RENDEZVOUS_ID_LEN 32		/* bytes; 64 lowercase hex digits */
#define RENDEZVOUS_ID_HEX_LEN (2 * RENDEZVOUS_ID_LEN)
#define RENDEZVOUS_NAMEPLATE_MAX 999999	/* CODE_NUMBER_RELAY_MAX */
/* The BLAKE2b key of the rendezvous id (without a terminator). */
#define RENDEZVOUS_ID_KEY "sealcat relay id v1"

/* The refusals a relay sends as "ERROR <reason>", in one place. */
#define RENDEZVOUS_E_BUSY "busy"
#define RENDEZVOUS_E_TIMEOUT "timeout"
#define RENDEZVOUS_E_NO_LISTENER "no listener"
#define RENDEZVOUS_E_UNKNOWN_NAMEPLATE "unknown nameplate"
#define RENDEZVOUS_E_ID_TAKEN "id taken"
#define RENDEZVOUS_E_TOO_LONG "line too long"
#define RENDEZVOUS_E_LIMIT "limit reached"
#define RENDEZVOUS_E_BAD_REQUEST "bad request"
#define RENDEZVOUS_E_UNEXPECTED "unexpected data"
#define RENDEZVOUS_E_SHUTDOWN "shutting down"

enum rendezvous_verb {
	RENDEZVOUS_LISTEN,	/* wait for a CONNECT to the id */
	RENDEZVOUS_CONNECT,	/* meet the LISTEN waiting on the id */
	RENDEZVOUS_ALLOCATE,	/* bind a nameplate to the id, then LISTEN */
	RENDEZVOUS_CLAIM	/* CONNECT to the nameplate's id */
};

struct rendezvous_request {
	enum rendezvous_verb verb;
	uint8_t id[RENDEZVOUS_ID_LEN];	/* all verbs but CLAIM */
	unsigned long nameplate;	/* CLAIM: 1..RENDEZVOUS_NAMEPLATE_MAX */
};

enum rendezvous_status {
	RENDEZVOUS_OK,		/* a whole line, parsed */
	RENDEZVOUS_PARTIAL,	/* no LF yet in fewer than the maximum bytes */
	RENDEZVOUS_TOO_LONG,	/* RENDEZVOUS_LINE_MAX bytes without an LF */
	RENDEZVOUS_BAD,		/* a whole line that is not a valid one */
	RENDEZVOUS_EXTRA	/* a valid request with bytes after its LF */
};

/*
 * Parses what a client has sent so far, buf[0..len), as a request line.
 * The line must be exactly "SEALCAT-RELAY/1 VERB ARG\n": one space each,
 * VERB in capitals, ARG 64 lowercase hex digits or (CLAIM) a decimal
 * number 1..999999 without leading zeros; no CR, no other byte.  A client
 * must send nothing else before the relay's OK, so a valid line followed
 * by anything is RENDEZVOUS_EXTRA.  Fills *req only for RENDEZVOUS_OK and
 * RENDEZVOUS_EXTRA.
 */
enum rendezvous_status rendezvous_parse_request(const uint8_t *buf,
    size_t len, struct rendezvous_request *req);

/*
 * Writes the line of req, with its LF and a NUL, to out.  Returns its
 * length (without the NUL), or 0 if req is invalid (a nameplate out of
 * range) or out_cap is too small (RENDEZVOUS_LINE_MAX always suffices).
 */
size_t rendezvous_format_request(const struct rendezvous_request *req,
    char *out, size_t out_cap);

enum rendezvous_reply_kind {
	RENDEZVOUS_REPLY_OK,		/* paired: the session starts */
	RENDEZVOUS_REPLY_NAMEPLATE,	/* ALLOCATE: the number bound */
	RENDEZVOUS_REPLY_ERROR		/* refused; the relay closes */
};

struct rendezvous_reply {
	enum rendezvous_reply_kind kind;
	unsigned long nameplate;	/* NAMEPLATE */
	char reason[RENDEZVOUS_LINE_MAX];	/* ERROR: printable ASCII */
};

/*
 * Parses the start of what a relay sent, buf[0..len), as one reply line:
 * "OK\n", "NAMEPLATE <n>\n" (n as in a CLAIM) or "ERROR <reason>\n" with a
 * reason of 1 or more printable ASCII characters (0x20..0x7e).  Bytes
 * after the LF are not looked at (after OK they are the session; after
 * NAMEPLATE, the next reply).  Returns RENDEZVOUS_OK and sets *line_len
 * (with the LF) and *reply, or RENDEZVOUS_PARTIAL, RENDEZVOUS_TOO_LONG or
 * RENDEZVOUS_BAD; never RENDEZVOUS_EXTRA.
 */
enum rendezvous_status rendezvous_parse_reply(const uint8_t *buf, size_t len,
    struct rendezvous_reply *reply, size_t *line_len);

/*
 * The rendezvous id of a key-mode listener: BLAKE2b-256 with the key
 * RENDEZVOUS_ID_KEY over suite->protocol || pub (suite->pub_len bytes, the
 * raw static public key).
 */
void rendezvous_id(const struct suite *suite, const uint8_t *pub,
    uint8_t id[RENDEZVOUS_ID_LEN]);

/* Writes the 64 lowercase hex digits of id and a NUL to out. */
void rendezvous_id_hex(const uint8_t id[RENDEZVOUS_ID_LEN],
    char out[RENDEZVOUS_ID_HEX_LEN + 1]);

#endif
