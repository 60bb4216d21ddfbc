# gen_noise_xx_p256.py - fixed-key vectors for the p256 suite, computed from
# PROTOCOL.md §2 by an implementation independent of sealcat's C code (on
# pyca/cryptography), and known answers for what no published Noise vector
# covers: transport messages across Rekey() at the nonces where sealcat
# rekeys (PROTOCOL.md §3.3), Rekey() of a fixed key for both ciphers, and
# HKDF with three outputs (MixKeyAndHash, Noise §5.2) for both hashes.
# Not run by make check; regenerate with
#   python3 gen_noise_xx_p256.py > noise_xx_p256.json
# and update the sha256 in ../README.md.
import hashlib, hmac as _hmac, json, struct, sys
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

NAME = b"Noise_XX_P256_AESGCM_SHA256"
HASHLEN = 32

def H(d): return hashlib.sha256(d).digest()
def HMAC(k, d): return _hmac.new(k, d, hashlib.sha256).digest()
def HKDF(ck, ikm):
    t = HMAC(ck, ikm); o1 = HMAC(t, b"\x01"); o2 = HMAC(t, o1 + b"\x02"); return o1, o2
def HKDF3(hashfn, ck, ikm):
    # Noise §4.3 with num_outputs = 3, written out for any hash.
    t = _hmac.new(ck, ikm, hashfn).digest()
    o1 = _hmac.new(t, b"\x01", hashfn).digest()
    o2 = _hmac.new(t, o1 + b"\x02", hashfn).digest()
    o3 = _hmac.new(t, o2 + b"\x03", hashfn).digest()
    return o1, o2, o3
def priv_key(x): return ec.derive_private_key(int.from_bytes(x, "big"), ec.SECP256R1())
def PUB(x): return priv_key(x).public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
def DH(x, pub):
    return priv_key(x).exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), pub))
def nonce(n): return b"\0\0\0\0" + struct.pack(">Q", n)
def ENC(k, n, ad, p): return AESGCM(k).encrypt(nonce(n), p, ad)
def DEC(k, n, ad, c): return AESGCM(k).decrypt(nonce(n), c, ad)
def nonce_le(n): return b"\0\0\0\0" + struct.pack("<Q", n)
def ENC_CHACHA(k, n, ad, p): return ChaCha20Poly1305(k).encrypt(nonce_le(n), p, ad)
MAXNONCE = 2**64 - 1
# Rekey() of Noise §4.2: the first 32 bytes of ENCRYPT(k, 2^64-1, empty, 32
# zero bytes), for AESGCM (big-endian counter) and ChaChaPoly (little-endian).
def REKEY(k): return ENC(k, MAXNONCE, b"", b"\0" * 32)[:32]
def REKEY_CHACHA(k): return ENC_CHACHA(k, MAXNONCE, b"", b"\0" * 32)[:32]
REKEY_INTERVAL = 65536  # PROTOCOL.md §3.3: Rekey() before frames 65536, 131072, ...

class Side:
    def __init__(s, prologue, st, eph):
        s.h = NAME + b"\0" * (HASHLEN - len(NAME)); s.ck = s.h; s.k = None; s.n = 0
        s.mix_hash(prologue); s.s = st; s.e = eph; s.re = s.rs = None
    def mix_hash(s, d): s.h = H(s.h + d)
    def mix_key(s, ikm): s.ck, t = HKDF(s.ck, ikm); s.k = t[:32]; s.n = 0
    def enc_hash(s, p):
        c = p if s.k is None else ENC(s.k, s.n, s.h, p)
        if s.k is not None: s.n += 1
        s.mix_hash(c); return c
    def dec_hash(s, c):
        p = c if s.k is None else DEC(s.k, s.n, s.h, c)
        if s.k is not None: s.n += 1
        s.mix_hash(c); return p
    def split(s):
        t1, t2 = HKDF(s.ck, b""); return t1[:32], t2[:32]

def run(prologue, i_s, i_e, r_s, r_e, payloads):
    I, R = Side(prologue, i_s, i_e), Side(prologue, r_s, r_e)
    msgs = []
    # message 1: e
    m = PUB(I.e); I.mix_hash(PUB(I.e)); m += I.enc_hash(payloads[0])
    R.re = m[:65]; R.mix_hash(R.re); assert R.dec_hash(m[65:]) == payloads[0]
    msgs.append((payloads[0], m))
    # message 2: e, ee, s, es
    m = PUB(R.e); R.mix_hash(PUB(R.e)); R.mix_key(DH(R.e, R.re))
    m += R.enc_hash(PUB(R.s)); R.mix_key(DH(R.s, R.re)); m += R.enc_hash(payloads[1])
    I.re = m[:65]; I.mix_hash(I.re); I.mix_key(DH(I.e, I.re))
    I.rs = I.dec_hash(m[65:65 + 81]); I.mix_key(DH(I.e, I.rs))
    assert I.dec_hash(m[146:]) == payloads[1]
    msgs.append((payloads[1], m))
    # message 3: s, se
    m = I.enc_hash(PUB(I.s)); I.mix_key(DH(I.s, I.re)); m += I.enc_hash(payloads[2])
    R.rs = R.dec_hash(m[:81]); R.mix_key(DH(R.e, R.rs)); assert R.dec_hash(m[81:]) == payloads[2]
    msgs.append((payloads[2], m))
    assert I.h == R.h
    c1, c2 = I.split()
    # transport: responder first (c2), alternating, as in the cacophony format
    n1 = n2 = 0
    for i, p in enumerate(payloads[3:]):
        if i % 2 == 0: msgs.append((p, ENC(c2, n2, b"", p))); n2 += 1
        else: msgs.append((p, ENC(c1, n1, b"", p))); n1 += 1
    return I.h, msgs, c1, c2

def across_rekey(c1, c2):
    # Frames (type byte 0x00 DATA || body, empty AD) sealed as sealcat seals
    # the frame with nonce n: with the key after n // 65536 Rekey() calls.
    out = []
    for who, k in (("initiator", c1), ("responder", c2)):
        for n in (REKEY_INTERVAL - 1, REKEY_INTERVAL, REKEY_INTERVAL + 1,
                  2 * REKEY_INTERVAL - 1, 2 * REKEY_INTERVAL):
            key = k
            for _ in range(n // REKEY_INTERVAL): key = REKEY(key)
            p = b"\x00" + ("%s frame %d" % (who, n)).encode()
            out.append({"sender": who, "nonce": n, "rekeys": n // REKEY_INTERVAL,
                        "payload": p.hex(), "ciphertext": ENC(key, n, b"", p).hex()})
    return out

def key(label):
    return H(b"sealcat p256 vector " + label)   # < n with overwhelming probability

prologue = b"SEALCAT/1 Noise_XX_P256_AESGCM_SHA256\n"
vectors = []
for name, payloads in [
    ("empty handshake payloads (as sealcat v1 sends)", [b"", b"", b"", b"\x00hello", b"\x00world", b"\x01", b"\x01"]),
    ("non-empty handshake payloads", [b"first payload", b"second", b"third one", b"transport 0 from the responder", b"transport 0 from the initiator", b"transport 1 from the responder"]),
]:
    i_s, i_e, r_s, r_e = key(b"init static"), key(b"init ephemeral"), key(b"resp static"), key(b"resp ephemeral")
    if name.startswith("non"):
        i_s, i_e, r_s, r_e = [H(k) for k in (i_s, i_e, r_s, r_e)]
    hh, msgs, c1, c2 = run(prologue, i_s, i_e, r_s, r_e, payloads)
    vectors.append({
        "comment": name,
        "protocol_name": NAME.decode(),
        "init_prologue": prologue.hex(), "resp_prologue": prologue.hex(),
        "init_static": i_s.hex(), "init_ephemeral": i_e.hex(),
        "resp_static": r_s.hex(), "resp_ephemeral": r_e.hex(),
        "init_static_public": PUB(i_s).hex(), "resp_static_public": PUB(r_s).hex(),
        "handshake_hash": hh.hex(),
        "messages": [{"payload": p.hex(), "ciphertext": c.hex()} for p, c in msgs],
        "rekey_messages": across_rekey(c1, c2),
    })

rekeys = []
for cipher, rekey in (("AESGCM", REKEY), ("ChaChaPoly", REKEY_CHACHA)):
    k = H(b"sealcat rekey vector " + cipher.encode())
    chain = []
    for _ in range(3):
        k2 = rekey(chain[-1] if chain else k); chain.append(k2)
    rekeys.append({"cipher": cipher, "k": k.hex(), "rekeyed": [x.hex() for x in chain]})

hkdfs = []
for hname, hashfn in (("SHA256", hashlib.sha256), ("BLAKE2b", hashlib.blake2b)):
    ck = hashfn(b"sealcat hkdf ck").digest()
    for ikm in (b"", b"\x42" * 32):
        hkdfs.append({"hash": hname, "ck": ck.hex(), "ikm": ikm.hex(),
                      "outputs": [o.hex() for o in HKDF3(hashfn, ck, ikm)]})
json.dump({"comment": "sealcat p256 suite, Noise_XX_P256_AESGCM_SHA256: fixed-key vectors "
           "computed from PROTOCOL.md with an independent Python implementation on "
           "pyca/cryptography (not sealcat's code, not a published vector). Same fields "
           "as the cacophony format; transport messages alternate, responder first, "
           "with empty AD and no frame length prefix. rekey_messages: frames "
           "sealed with the split keys at the given nonce after the given number "
           "of Rekey() calls (PROTOCOL.md 3.3). rekey: k and Rekey() applied 1, "
           "2, 3 times. hkdf: Noise HKDF(ck, ikm, 3).",
           "vectors": vectors, "rekey": rekeys, "hkdf": hkdfs}, sys.stdout, indent=1)
print()
