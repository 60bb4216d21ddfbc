#!/usr/bin/python3
# gen_keyfile_v2.py - known answers for passphrase-protected key files
# (PROTOCOL.md, Key files), computed without sealcat's C code or libsodium:
#
# - "argon2id": Argon2id as sealcat calls crypto_pwhash() (version 0x13, one
#   lane, no secret or associated data, 32-byte tag), from the reference
#   libargon2 through Debian's python3-argon2.  RFC 9106's own vectors use a
#   secret and associated data, which crypto_pwhash does not take.
# - "keyfiles": whole v2 key files for both suites, written from the text of
#   PROTOCOL.md: Argon2id as above, XChaCha20-Poly1305 as HChaCha20 (below,
#   checked against the draft's vector) in front of pyca/cryptography's
#   ChaCha20-Poly1305, BLAKE2b-256 from hashlib, public keys from
#   pyca/cryptography.
#
# Not run by make check (it needs python3-argon2, which sealcat's tests do
# not); regenerate with
#   /usr/bin/python3 gen_keyfile_v2.py > keyfile_v2.json
# and update the sha256 in ../README.md.
import base64, hashlib, json, struct
from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def argon2id(passphrase, salt, m, t):
    return hash_secret_raw(secret=passphrase, salt=salt, time_cost=t,
                           memory_cost=m, parallelism=1, hash_len=32,
                           type=Type.ID, version=19)


def rotl(v, n):
    return ((v << n) | (v >> (32 - n))) & 0xffffffff


def hchacha20(key, nonce16):
    # draft-irtf-cfrg-xchacha-03 §2.2: the ChaCha20 block function on
    # (constants, key, 16-byte nonce), without the final addition; words
    # 0-3 and 12-15 are the subkey.
    s = list(struct.unpack("<4I", b"expand 32-byte k") +
             struct.unpack("<8I", key) + struct.unpack("<4I", nonce16))

    def qr(a, b, c, d):
        s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 16)
        s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 12)
        s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 8)
        s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 7)

    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


# draft-irtf-cfrg-xchacha-03 §2.2.1.
assert hchacha20(bytes(range(32)),
                 bytes.fromhex("000000090000004a0000000031415927")) == \
    bytes.fromhex("82413b4227b27bfed30e42508a877d73"
                  "a0f9e4d58a74a853c12ec41326d3ecdc")


def xchacha20poly1305_encrypt(key, nonce24, ad, plaintext):
    subkey = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(subkey).encrypt(b"\0" * 4 + nonce24[16:],
                                            plaintext, ad)


def b64(data):
    return base64.b64encode(data).decode()


def fixed(label, n):
    """n reproducible bytes named by label."""
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(b"sealcat keyfile v2 vectors " +
                              label.encode() + bytes([counter])).digest()
        counter += 1
    return out[:n]


P256_ORDER = int("ffffffff00000000ffffffffffffffff"
                 "bce6faada7179e84f3b9cac2fc632551", 16)


def public_key(suite, secret):
    if suite == "x25519":
        key = x25519.X25519PrivateKey.from_private_bytes(secret)
        return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    d = int.from_bytes(secret, "big")
    key = ec.derive_private_key(d, ec.SECP256R1())
    return key.public_key().public_bytes(Encoding.X962,
                                         PublicFormat.UncompressedPoint)


def keyfile(suite, secret, passphrase, m, t, salt, nonce):
    token = suite + ":" + b64(public_key(suite, secret))
    header = ("sealcat private key v2 %s\n"
              "kdf argon2id v=19 m=%d t=%d p=1 salt=%s\n"
              "aead xchacha20poly1305 nonce=%s\n"
              "public %s\n" % (suite, m, t, b64(salt), b64(nonce), token))
    key = argon2id(passphrase, salt, m, t)
    sealed = xchacha20poly1305_encrypt(key, nonce, header.encode(), secret)
    body = header + "secret %s\n" % b64(sealed)
    check = hashlib.blake2b(body.encode(), digest_size=32).digest()
    return body + "check %s\n" % b64(check), token


ARGON2ID = [
    # (name, passphrase, m KiB, t)
    ("one byte, smallest cost", b"a", 8, 1),
    ("ascii, m not a multiple of 4", b"correct horse battery staple", 9, 1),
    ("utf-8, three passes", "pässwörd ✓".encode(), 64, 3),
    ("with a NUL and a newline inside", b"a\0b\nc", 32, 2),
    ("1024 bytes, the longest sealcat takes", fixed("long", 1024), 16, 1),
    ("1 MiB, two passes", b"hunter2", 1024, 2),
    ("sealcat's default cost", b"the default", 262144, 3),
]

KEYFILES = [
    # (name, suite, passphrase, m, t)
    ("x25519, smallest cost", "x25519", b"open sesame", 8, 1),
    ("x25519, 1 MiB, two passes", "x25519", "clé ✓".encode(), 1024, 2),
    ("p256, 64 KiB, three passes", "p256", b"p256 passphrase", 64, 3),
    ("p256, smallest cost", "p256", b"x", 8, 1),
]


def main():
    out = {"argon2id": [], "keyfiles": []}
    for name, passphrase, m, t in ARGON2ID:
        salt = fixed("salt " + name, 16)
        out["argon2id"].append({
            "name": name, "passphrase": passphrase.hex(), "salt": salt.hex(),
            "m": m, "t": t, "key": argon2id(passphrase, salt, m, t).hex()})
    for name, suite, passphrase, m, t in KEYFILES:
        secret = fixed("secret " + name, 32)
        if suite == "p256":
            # A scalar in [1, n-1], n the order of P-256.
            assert 0 < int.from_bytes(secret, "big") < P256_ORDER
        text, token = keyfile(suite, secret, passphrase, m, t,
                              fixed("salt " + name, 16),
                              fixed("nonce " + name, 24))
        out["keyfiles"].append({
            "name": name, "suite": suite, "passphrase": passphrase.hex(),
            "secret": secret.hex(), "token": token, "text": text})
    print(json.dumps(out, indent=1))


main()
