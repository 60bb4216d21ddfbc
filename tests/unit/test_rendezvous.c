/*
 * test_rendezvous.c - the relay protocol's lines (PROTOCOL.md, "Relay
 * protocol"): every request the relay must refuse and why, the replies a
 * client must refuse, formatting round trips, and the rendezvous id
 * against known answers computed independently:
 *
 *   python3 -c 'import hashlib, base64; print(hashlib.blake2b(
 *       b"Noise_XX_25519_ChaChaPoly_BLAKE2b" + base64.b64decode(B64),
 *       digest_size=32, key=b"sealcat relay id v1").hexdigest())'
 *
 * with B64 the token after "x25519:" (for p256, the protocol name
 * Noise_XX_P256_AESGCM_SHA256 and the 65-byte point).  The tokens are
 * real keys made by sealcat keygen.
 */
#include <string.h>

#include "keys/keyfile.h"
#include "rendezvous/rendezvous.h"
#include "crypto/suite.h"
#include "tap.h"

#define ID_HEX "0123456789abcdef0123456789abcdef" \
	"0123456789abcdef0123456789abcdef"
#define PREFIX "SEALCAT-RELAY/1 "

static enum rendezvous_status
parse(const char *line, struct rendezvous_request *req)
{
	memset(req, 0xa5, sizeof(*req));
	return rendezvous_parse_request((const uint8_t *)line, strlen(line),
	    req);
}

static void
test_valid_requests(void)
{
	static const struct {
		const char *line;
		enum rendezvous_verb verb;
	} cases[] = {
		{ PREFIX "LISTEN " ID_HEX "\n", RENDEZVOUS_LISTEN },
		{ PREFIX "CONNECT " ID_HEX "\n", RENDEZVOUS_CONNECT },
		{ PREFIX "ALLOCATE " ID_HEX "\n", RENDEZVOUS_ALLOCATE },
	};
	static const uint8_t want_id[RENDEZVOUS_ID_LEN] = {
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	};
	struct rendezvous_request req;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ok(parse(cases[i].line, &req) == RENDEZVOUS_OK &&
		    req.verb == cases[i].verb,
		    "request %zu (%.*s): parsed, right verb", i,
		    (int)strcspn(cases[i].line + strlen(PREFIX), " "),
		    cases[i].line + strlen(PREFIX));
		is_bytes(req.id, want_id, sizeof(want_id),
		    "request %zu: the id's 32 bytes", i);
	}
	ok(parse(PREFIX "CLAIM 1\n", &req) == RENDEZVOUS_OK &&
	    req.verb == RENDEZVOUS_CLAIM && req.nameplate == 1,
	    "CLAIM 1: nameplate 1");
	ok(parse(PREFIX "CLAIM 999999\n", &req) == RENDEZVOUS_OK &&
	    req.nameplate == 999999, "CLAIM 999999: the largest nameplate");
	ok(parse(PREFIX "CLAIM 412\n", &req) == RENDEZVOUS_OK &&
	    req.nameplate == 412, "CLAIM 412");
}

static void
test_refused_requests(void)
{
	char long_line[RENDEZVOUS_LINE_MAX + 8];
	static const struct {
		const char *line;
		enum rendezvous_status want;
		const char *what;
	} cases[] = {
		{ "", RENDEZVOUS_PARTIAL, "nothing yet" },
		{ PREFIX "LISTEN " ID_HEX, RENDEZVOUS_PARTIAL,
		  "a whole line but no LF yet" },
		{ "SEAL", RENDEZVOUS_PARTIAL, "a prefix" },
		{ "\n", RENDEZVOUS_BAD, "an empty line" },
		{ "GET / HTTP/1.1\r\n", RENDEZVOUS_BAD, "an HTTP request" },
		{ "SSH-2.0-OpenSSH_9.6\r\n", RENDEZVOUS_BAD, "an SSH banner" },
		{ "SEALCAT/1 Noise_XX_25519_ChaChaPoly_BLAKE2b\n",
		  RENDEZVOUS_BAD, "a sealcat preamble (no relay between)" },
		{ "SEALCAT-RELAY/2 LISTEN " ID_HEX "\n", RENDEZVOUS_BAD,
		  "version 2" },
		{ "sealcat-relay/1 LISTEN " ID_HEX "\n", RENDEZVOUS_BAD,
		  "the version in lowercase" },
		{ PREFIX "listen " ID_HEX "\n", RENDEZVOUS_BAD,
		  "the verb in lowercase" },
		{ PREFIX "ACCEPT " ID_HEX "\n", RENDEZVOUS_BAD,
		  "an unknown verb" },
		{ PREFIX "LISTENS " ID_HEX "\n", RENDEZVOUS_BAD,
		  "a verb with a letter more" },
		{ PREFIX "LISTEN\n", RENDEZVOUS_BAD, "no argument" },
		{ PREFIX "LISTEN \n", RENDEZVOUS_BAD, "an empty argument" },
		{ PREFIX "LISTEN  " ID_HEX "\n", RENDEZVOUS_BAD,
		  "two spaces before the id" },
		{ "SEALCAT-RELAY/1  LISTEN " ID_HEX "\n", RENDEZVOUS_BAD,
		  "two spaces after the version" },
		{ PREFIX "LISTEN\t" ID_HEX "\n", RENDEZVOUS_BAD,
		  "a tab for the space" },
		{ PREFIX "LISTEN " ID_HEX " \n", RENDEZVOUS_BAD,
		  "a space after the id" },
		{ PREFIX "LISTEN " ID_HEX "\r\n", RENDEZVOUS_BAD,
		  "CR LF" },
		{ PREFIX "LISTEN " ID_HEX "0\n", RENDEZVOUS_BAD,
		  "65 hex digits" },
		{ PREFIX "LISTEN 0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcde\n", RENDEZVOUS_BAD,
		  "63 hex digits" },
		{ PREFIX "LISTEN 0123456789ABCDEF0123456789abcdef"
		  "0123456789abcdef0123456789abcdef\n", RENDEZVOUS_BAD,
		  "uppercase hex" },
		{ PREFIX "CONNECT 0123456789abcdeg0123456789abcdef"
		  "0123456789abcdef0123456789abcdef\n", RENDEZVOUS_BAD,
		  "a 'g' in the id" },
		{ PREFIX "CONNECT 12\n", RENDEZVOUS_BAD,
		  "CONNECT with a number" },
		{ PREFIX "CLAIM " ID_HEX "\n", RENDEZVOUS_BAD,
		  "CLAIM with an id" },
		{ PREFIX "CLAIM 0\n", RENDEZVOUS_BAD, "nameplate 0" },
		{ PREFIX "CLAIM 007\n", RENDEZVOUS_BAD,
		  "a nameplate with leading zeros" },
		{ PREFIX "CLAIM 1000000\n", RENDEZVOUS_BAD,
		  "nameplate 1000000" },
		{ PREFIX "CLAIM 99999999999999999999999\n", RENDEZVOUS_BAD,
		  "a nameplate that overflows" },
		{ PREFIX "CLAIM -1\n", RENDEZVOUS_BAD, "a negative nameplate" },
		{ PREFIX "CLAIM +1\n", RENDEZVOUS_BAD, "a signed nameplate" },
		{ PREFIX "CLAIM 1 \n", RENDEZVOUS_BAD,
		  "a space after the nameplate" },
		{ PREFIX "CLAIM\n", RENDEZVOUS_BAD, "CLAIM without a number" },
		{ PREFIX "CLAIM 1\n\n", RENDEZVOUS_EXTRA,
		  "a second LF after the line" },
		{ PREFIX "CLAIM 1\nSEALCAT/1 Noise", RENDEZVOUS_EXTRA,
		  "a preamble before OK" },
		{ PREFIX "LISTEN " ID_HEX "\nx", RENDEZVOUS_EXTRA,
		  "one byte after LISTEN's line" },
		{ "GET / HTTP/1.1\r\n\r\n", RENDEZVOUS_BAD,
		  "garbage with more behind it: BAD, not EXTRA" },
	};
	struct rendezvous_request req;
	static const uint8_t nul_line[] = PREFIX "CLAIM 1\0\n";

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(parse(cases[i].line, &req) == cases[i].want,
		    "refused request: %s", cases[i].what);
	ok(rendezvous_parse_request(nul_line, sizeof(nul_line) - 1, &req) ==
	    RENDEZVOUS_BAD, "refused request: a NUL in the line");

	/* The 128-byte limit, LF included. */
	memset(long_line, 'A', sizeof(long_line));
	ok(rendezvous_parse_request((const uint8_t *)long_line, 127, &req) ==
	    RENDEZVOUS_PARTIAL, "127 bytes without LF: still partial");
	ok(rendezvous_parse_request((const uint8_t *)long_line, 128, &req) ==
	    RENDEZVOUS_TOO_LONG, "128 bytes without LF: too long");
	long_line[127] = '\n';
	ok(rendezvous_parse_request((const uint8_t *)long_line, 128, &req) ==
	    RENDEZVOUS_BAD, "LF as byte 128: a whole (bad) line");
	long_line[127] = 'A';
	long_line[128] = '\n';
	ok(rendezvous_parse_request((const uint8_t *)long_line, 129, &req) ==
	    RENDEZVOUS_TOO_LONG, "LF as byte 129: too long");
}

static void
test_format_request(void)
{
	struct rendezvous_request req, back;
	char line[RENDEZVOUS_LINE_MAX];
	size_t len;

	memset(&req, 0, sizeof(req));
	req.verb = RENDEZVOUS_ALLOCATE;
	for (size_t i = 0; i < RENDEZVOUS_ID_LEN; i++)
		req.id[i] = (uint8_t)(0xf0 + i);
	len = rendezvous_format_request(&req, line, sizeof(line));
	ok(len == 90 && strcmp(line, PREFIX "ALLOCATE f0f1f2f3f4f5f6f7f8f9"
	    "fafbfcfdfeff000102030405060708090a0b0c0d0e0f\n") == 0,
	    "format ALLOCATE: 90 bytes, lowercase hex");
	ok(rendezvous_parse_request((const uint8_t *)line, len, &back) ==
	    RENDEZVOUS_OK && back.verb == req.verb &&
	    memcmp(back.id, req.id, sizeof(req.id)) == 0,
	    "format then parse: the same request");
	ok(rendezvous_format_request(&req, line, 90) == 0,
	    "format refuses a buffer without room for the NUL");
	ok(rendezvous_format_request(&req, line, 91) == 90,
	    "format fits a buffer of exactly line + NUL");
	req.verb = RENDEZVOUS_CLAIM;
	req.nameplate = 412;
	len = rendezvous_format_request(&req, line, sizeof(line));
	ok(len == 26 && strcmp(line, PREFIX "CLAIM 412\n") == 0,
	    "format CLAIM 412");
	req.nameplate = 0;
	ok(rendezvous_format_request(&req, line, sizeof(line)) == 0,
	    "format refuses nameplate 0");
	req.nameplate = RENDEZVOUS_NAMEPLATE_MAX + 1;
	ok(rendezvous_format_request(&req, line, sizeof(line)) == 0,
	    "format refuses nameplate 1000000");
}

static enum rendezvous_status
reply(const char *text, struct rendezvous_reply *r, size_t *line_len)
{
	*line_len = 0;
	return rendezvous_parse_reply((const uint8_t *)text, strlen(text), r,
	    line_len);
}

static void
test_replies(void)
{
	static const struct {
		const char *text;
		enum rendezvous_status want;
		const char *what;
	} refused[] = {
		{ "", RENDEZVOUS_PARTIAL, "nothing yet" },
		{ "OK", RENDEZVOUS_PARTIAL, "OK without its LF" },
		{ "ok\n", RENDEZVOUS_BAD, "ok in lowercase" },
		{ "OK \n", RENDEZVOUS_BAD, "OK with a space" },
		{ "OK\r\n", RENDEZVOUS_BAD, "OK CR LF" },
		{ "NAMEPLATE \n", RENDEZVOUS_BAD,
		  "NAMEPLATE without a number" },
		{ "NAMEPLATE 0\n", RENDEZVOUS_BAD, "NAMEPLATE 0" },
		{ "NAMEPLATE 01\n", RENDEZVOUS_BAD,
		  "NAMEPLATE with a leading zero" },
		{ "NAMEPLATE 1000000\n", RENDEZVOUS_BAD, "NAMEPLATE 1000000" },
		{ "ERROR \n", RENDEZVOUS_BAD, "ERROR without a reason" },
		{ "ERROR\n", RENDEZVOUS_BAD, "ERROR without a space" },
		{ "ERROR busy\x1b[2J\n", RENDEZVOUS_BAD,
		  "ERROR with an escape sequence" },
		{ "ERROR caf\xc3\xa9\n", RENDEZVOUS_BAD,
		  "ERROR with non-ASCII bytes" },
		{ "ERROR busy\r\n", RENDEZVOUS_BAD, "ERROR with a CR" },
		{ "HELLO\n", RENDEZVOUS_BAD, "an unknown reply" },
	};
	struct rendezvous_reply r;
	char long_reason[RENDEZVOUS_LINE_MAX + 1];
	size_t len;

	ok(reply("OK\nSEALCAT/1 x", &r, &len) == RENDEZVOUS_OK &&
	    r.kind == RENDEZVOUS_REPLY_OK && len == 3,
	    "reply OK: 3 bytes, the session's bytes behind it untouched");
	ok(reply("NAMEPLATE 412\nOK\n", &r, &len) == RENDEZVOUS_OK &&
	    r.kind == RENDEZVOUS_REPLY_NAMEPLATE && r.nameplate == 412 &&
	    len == 14, "reply NAMEPLATE 412, then the next reply");
	ok(reply("ERROR id taken\n", &r, &len) == RENDEZVOUS_OK &&
	    r.kind == RENDEZVOUS_REPLY_ERROR &&
	    strcmp(r.reason, "id taken") == 0 && len == 15,
	    "reply ERROR id taken: the reason");
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		ok(reply(refused[i].text, &r, &len) == refused[i].want,
		    "refused reply: %s", refused[i].what);

	/* The longest reason that fits: 6 + 121 + LF = 128 bytes. */
	memcpy(long_reason, "ERROR ", 6);
	memset(long_reason + 6, 'x', 121);
	long_reason[127] = '\n';
	long_reason[128] = '\0';
	ok(reply(long_reason, &r, &len) == RENDEZVOUS_OK && len == 128 &&
	    strlen(r.reason) == 121, "reply ERROR with a 121-byte reason");
	long_reason[127] = 'x';
	ok(reply(long_reason, &r, &len) == RENDEZVOUS_TOO_LONG,
	    "reply of 128 bytes without LF: too long");
}

static void
test_id(void)
{
	static const struct {
		const char *token;
		const char *id;
	} kat[] = {
		{ "x25519:Uoxf2RSwiJON7Vz3lQ5wW/0PBFKpoCZV9wDYfx1QLww=",
		  "71bc4e64b02152a2893b834460f7777e"
		  "acf78d9a69c13b8922bab77010eac0b3" },
		{ "p256:BBQHdLQfCCFO2Z3S0p3y+cND/orMYehHpUKYSLggfEy2zedT5kfxPS"
		  "T5/66HXCBnzCmzer2NmAI8snyWxEswEgQ=",
		  "4aa5dd46d38be6b4d1de194df3b2bdf7"
		  "3949054d2ba2cee56acdb3c618f8aa60" },
	};
	uint8_t pub[SUITE_PUB_MAX], id[RENDEZVOUS_ID_LEN];
	uint8_t other[RENDEZVOUS_ID_LEN];
	char hex[RENDEZVOUS_ID_HEX_LEN + 1];
	const struct suite *suite;

	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		if (!ok(token_parse(kat[i].token, &suite, pub, "kat") == 0,
		    "id %zu: the token parses", i))
			continue;
		rendezvous_id(suite, pub, id);
		rendezvous_id_hex(id, hex);
		ok(strcmp(hex, kat[i].id) == 0,
		    "id of the %s token: %s (python hashlib.blake2b)",
		    suite->name, kat[i].id);
		if (strcmp(hex, kat[i].id) != 0)
			printf("# got %s\n", hex);
	}
	/* The suite is in the id: the same 32 bytes under another protocol
	 * name are another listener. */
	memset(pub, 0x42, sizeof(pub));
	rendezvous_id(&suite_x25519, pub, id);
	{
		struct suite fake = suite_x25519;

		fake.protocol = "Noise_XX_448_ChaChaPoly_BLAKE2b";
		rendezvous_id(&fake, pub, other);
	}
	ok(memcmp(id, other, sizeof(id)) != 0,
	    "the protocol name changes the id");
}

int
main(void)
{
	if (suite_init() != 0) {
		printf("Bail out! suite_init failed\n");
		return 1;
	}
	test_valid_requests();
	test_refused_requests();
	test_format_request();
	test_replies();
	test_id();
	return tap_done();
}
