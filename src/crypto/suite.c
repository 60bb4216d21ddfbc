/*
 * suite.c - the table of suites and lookups by name, Noise protocol name
 * and token prefix.  Adding a suite means one backend file and one row here.
 */
#include "crypto/suite.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "base/log.h"
#include "base/util.h"

static const struct suite *const suites[] = {
	&suite_x25519,
	&suite_p256,
};

int
suite_init(void)
{
	if (sodium_init() < 0) {
		log_error("cannot initialise libsodium — check that the system "
		    "has a working random number source");
		return -1;
	}
	/* BearSSL's AES-NI / PCLMULQDQ probes (CPUID, slow under a
	 * hypervisor) wait until the p256 suite first seals or opens:
	 * an x25519 process never pays for them. */
	return 0;
}

const struct suite *
suite_default(void)
{
	return suites[0];
}

const struct suite *
suite_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(suites); i++)
		if (strcmp(suites[i]->name, name) == 0)
			return suites[i];
	return NULL;
}

const struct suite *
suite_by_protocol(const char *protocol, size_t len)
{
	for (size_t i = 0; i < ARRAY_LEN(suites); i++)
		if (strlen(suites[i]->protocol) == len &&
		    memcmp(suites[i]->protocol, protocol, len) == 0)
			return suites[i];
	return NULL;
}

const struct suite *
suite_by_token(const char *token)
{
	const char *colon = strchr(token, ':');
	size_t len;

	if (colon == NULL)
		return NULL;
	len = (size_t)(colon - token);
	for (size_t i = 0; i < ARRAY_LEN(suites); i++)
		if (strlen(suites[i]->name) == len &&
		    memcmp(suites[i]->name, token, len) == 0)
			return suites[i];
	return NULL;
}

const char *
suite_names(void)
{
	static char names[64];
	size_t len = 0;

	if (names[0] != '\0')
		return names;
	for (size_t i = 0; i < ARRAY_LEN(suites); i++) {
		int n = snprintf(names + len, sizeof(names) - len, "%s%s",
		    i > 0 ? ", " : "", suites[i]->name);

		if (n < 0 || (size_t)n >= sizeof(names) - len)
			break;
		len += (size_t)n;
	}
	return names;
}
