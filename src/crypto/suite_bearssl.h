/*
 * suite_bearssl.h - internals of the p256 backend that suite.c and the unit
 * tests reach directly: the run-time choice of AES/GHASH code, and AES-GCM
 * with an arbitrary 96-bit IV (the Wycheproof vectors do not use Noise's
 * counter nonces).  Everything else goes through suite_p256 in suite.h.
 */
#ifndef SEALCAT_SUITE_BEARSSL_H
#define SEALCAT_SUITE_BEARSSL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/suite.h"

#define P256_GCM_IV_LEN 12

/*
 * Picks the AES-CTR and GHASH code: AES-NI and PCLMULQDQ when allow_hw is
 * true and the CPU has them, else BearSSL's constant-time ct64 / ctmul64.
 * Until it is called, the first AES-GCM operation (or
 * suite_bearssl_uses_hw()) calls it with true; tests call it with false to
 * run the portable code too.
 */
void suite_bearssl_select(bool allow_hw);

/* True if the AES-NI / PCLMULQDQ code is in use. */
bool suite_bearssl_uses_hw(void);

/* AES-256-GCM with a 12-byte IV; otherwise as suite->seal / suite->open. */
void p256_gcm_seal(const uint8_t k[SUITE_KEY_LEN],
    const uint8_t iv[P256_GCM_IV_LEN], const uint8_t *ad, size_t ad_len,
    const uint8_t *in, size_t in_len, uint8_t *out);
int p256_gcm_open(const uint8_t k[SUITE_KEY_LEN],
    const uint8_t iv[P256_GCM_IV_LEN], const uint8_t *ad, size_t ad_len,
    const uint8_t *in, size_t in_len, uint8_t *out);

#endif
