/*
 * fingerprint.h - a public key's fingerprint: a short form of its hash
 * that two people can read to each other, "k3xq-7dmr-ab2p-44tz"
 * (PROTOCOL.md §4.1 gives the derivation).  Shown by `pubkey -F`, in -v
 * output and in every message about a key we do not know.
 */
#ifndef SEALCAT_FINGERPRINT_H
#define SEALCAT_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/suite.h"

/* 16 base32 characters in four groups of four, dashes between, NUL. */
#define FINGERPRINT_MAX 20

/* Writes the fingerprint of suite's public key pub to out
 * (FINGERPRINT_MAX bytes). */
void fingerprint_format(const struct suite *suite, const uint8_t *pub,
    char out[FINGERPRINT_MAX]);

#endif
