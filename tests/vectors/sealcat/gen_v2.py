# gen_v2.py - known-answer vectors for sealcat protocol v2, computed from
# PROTOCOL.md by an implementation independent of sealcat's C code (on
# pyca/cryptography and Python's hashlib/hmac; no libsodium, no BearSSL).
# Not run by make check; regenerate with
#   python3 gen_v2.py p256 > v2_p256.json
#   python3 gen_v2.py x25519 > v2_x25519.json
# and update the sha256 sums in ../README.md.
#
# Each vector is a fixed-key XX handshake (PROTOCOL.md §2), Split with the
# rekey secret rk (§2.7), then a script of transport steps (§3): frames
# sealed and opened in order on both sides, rekey rounds with fixed
# ephemerals (§3.5), DONE, CLOSE, ERROR.  Frames are given whole, with
# their uint16 length.
import hashlib, hmac, json, struct, sys
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

DATA, CLOSE, PING, ERROR, DONE, REKEY, SWITCH = range(7)
TYPE_NAMES = ["DATA", "CLOSE", "PING", "ERROR", "DONE", "REKEY", "SWITCH"]
REKEY_INTERVAL = 65536
NONCE_MAX = 2**64 - 1
P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551


class P256:
    name = "p256"
    protocol = b"Noise_XX_P256_AESGCM_SHA256"
    hashlen, dhlen = 32, 65

    @staticmethod
    def hash(d): return hashlib.sha256(d).digest()
    @staticmethod
    def hmac(k, d): return hmac.new(k, d, hashlib.sha256).digest()
    @staticmethod
    def priv(label):
        x = hashlib.sha256(b"sealcat v2 vector " + label).digest()
        assert 0 < int.from_bytes(x, "big") < P256_N
        return x
    @staticmethod
    def _key(x): return ec.derive_private_key(int.from_bytes(x, "big"), ec.SECP256R1())
    @classmethod
    def pub(cls, x):
        return cls._key(x).public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    @classmethod
    def dh(cls, x, pub):
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), pub)
        return cls._key(x).exchange(ec.ECDH(), peer)       # the X coordinate
    @staticmethod
    def enc(k, n, ad, p):
        return AESGCM(k).encrypt(b"\0\0\0\0" + struct.pack(">Q", n), p, ad)
    @staticmethod
    def dec(k, n, ad, c):
        return AESGCM(k).decrypt(b"\0\0\0\0" + struct.pack(">Q", n), c, ad)


class X25519:
    name = "x25519"
    protocol = b"Noise_XX_25519_ChaChaPoly_BLAKE2b"
    hashlen, dhlen = 64, 32

    @staticmethod
    def hash(d): return hashlib.blake2b(d, digest_size=64).digest()
    @staticmethod
    def hmac(k, d): return hmac.new(k, d, lambda: hashlib.blake2b(digest_size=64)).digest()
    @staticmethod
    def priv(label): return hashlib.sha256(b"sealcat v2 vector " + label).digest()
    @staticmethod
    def pub(x):
        return x25519.X25519PrivateKey.from_private_bytes(x).public_key().public_bytes(
            Encoding.Raw, PublicFormat.Raw)
    @staticmethod
    def dh(x, pub):
        return x25519.X25519PrivateKey.from_private_bytes(x).exchange(
            x25519.X25519PublicKey.from_public_bytes(pub))
    @staticmethod
    def enc(k, n, ad, p):
        return ChaCha20Poly1305(k).encrypt(b"\0\0\0\0" + struct.pack("<Q", n), p, ad)
    @staticmethod
    def dec(k, n, ad, c):
        return ChaCha20Poly1305(k).decrypt(b"\0\0\0\0" + struct.pack("<Q", n), c, ad)


def hkdf(S, ck, ikm, outputs):
    """PROTOCOL.md §2.2: out_i = HMAC(temp, out_{i-1} || byte(i))."""
    temp = S.hmac(ck, ikm)
    out, prev = [], b""
    for i in range(1, outputs + 1):
        prev = S.hmac(temp, prev + bytes([i]))
        out.append(prev)
    return out


# ---- handshake (PROTOCOL.md §2.3-§2.7) ----

class Handshake:
    def __init__(s, S, prologue, static, ephemeral):
        s.S = S
        s.h = S.protocol.ljust(S.hashlen, b"\0")
        s.ck, s.k, s.n = s.h, None, 0
        s.mix_hash(prologue)
        s.s, s.e = static, ephemeral
    def mix_hash(s, d): s.h = s.S.hash(s.h + d)
    def mix_key(s, ikm):
        s.ck, t = hkdf(s.S, s.ck, ikm, 2)
        s.k, s.n = t[:32], 0
    def enc_hash(s, p):
        c = p if s.k is None else s.S.enc(s.k, s.n, s.h, p)
        if s.k is not None: s.n += 1
        s.mix_hash(c)
        return c
    def dec_hash(s, c):
        p = c if s.k is None else s.S.dec(s.k, s.n, s.h, c)
        if s.k is not None: s.n += 1
        s.mix_hash(c)
        return p
    def split(s):
        t1, t2, rk = hkdf(s.S, s.ck, b"", 3)
        return t1[:32], t2[:32], rk


def handshake(S, prologue, i_s, i_e, r_s, r_e):
    I, R = Handshake(S, prologue, i_s, i_e), Handshake(S, prologue, r_s, r_e)
    L = S.dhlen
    # -> e
    m1 = S.pub(I.e); I.mix_hash(m1); m1 += I.enc_hash(b"")
    re = m1[:L]; R.mix_hash(re); assert R.dec_hash(m1[L:]) == b""
    # <- e, ee, s, es
    m2 = S.pub(R.e); R.mix_hash(m2); R.mix_key(S.dh(R.e, re))
    m2 += R.enc_hash(S.pub(R.s)); R.mix_key(S.dh(R.s, re)); m2 += R.enc_hash(b"")
    I_re = m2[:L]; I.mix_hash(I_re); I.mix_key(S.dh(I.e, I_re))
    rs = I.dec_hash(m2[L:2 * L + 16]); I.mix_key(S.dh(I.e, rs))
    assert rs == S.pub(R.s) and I.dec_hash(m2[2 * L + 16:]) == b""
    # -> s, se
    m3 = I.enc_hash(S.pub(I.s)); I.mix_key(S.dh(I.s, I_re)); m3 += I.enc_hash(b"")
    irs = R.dec_hash(m3[:L + 16]); R.mix_key(S.dh(R.e, irs))
    assert irs == S.pub(I.s) and R.dec_hash(m3[L + 16:]) == b""
    assert I.h == R.h and I.ck == R.ck
    return [m1, m2, m3], I.h, I.split()


# ---- transport (PROTOCOL.md §3) ----

class Cipher:
    """One direction's key and nonce, with Rekey() every 65536 frames."""
    def __init__(s, S, k, n):
        s.S, s.k, s.n = S, k, n
    def _step(s):
        assert s.n != NONCE_MAX
        if s.n != 0 and s.n % REKEY_INTERVAL == 0:
            s.k = s.S.enc(s.k, NONCE_MAX, b"", bytes(32))[:32]
        n = s.n
        s.n += 1
        return n
    def seal(s, plaintext):
        n = s._step()
        return n, s.S.enc(s.k, n, b"", plaintext)
    def open(s, ciphertext):
        n = s._step()
        return n, s.S.dec(s.k, n, b"", ciphertext)


class Side:
    def __init__(s, S, role, send, recv, rk, steps, rounds):
        s.S, s.role, s.send, s.recv, s.rk = S, role, send, recv, rk
        s.steps, s.rounds = steps, rounds
        s.peer = None
        s.inbox = []            # frames the peer sealed, oldest first
        s.e = s.e_pub = None
        s.sent_rekey = s.got_rekey = s.sent_switch = s.got_switch = False
        s.new_send = s.new_recv = None

    def seal(s, t, body=b""):
        n, c = s.send.seal(bytes([t]) + body)
        frame = struct.pack(">H", len(c)) + c
        s.peer.inbox.append(frame)
        s.steps.append({"side": s.role, "op": "seal", "type": t,
                        "type_name": TYPE_NAMES[t], "body": body.hex(),
                        "nonce": n, "frame": frame.hex()})
        if t == REKEY:
            s.sent_rekey = True
            s.maybe_derive()
        elif t == SWITCH:
            s.send.k, s.new_send = s.new_send, None
            s.sent_switch = True
            s.maybe_finish()

    def start(s, label):
        s.make_ephemeral(label)
        s.steps.append({"side": s.role, "op": "start"})

    def make_ephemeral(s, label):
        s.e = s.S.priv(label)
        s.e_pub = s.S.pub(s.e)
        s.steps.append({"side": s.role, "op": "set_ephemeral",
                        "private": s.e.hex(), "public": s.e_pub.hex()})

    def open(s, answer_label=None):
        frame = s.inbox.pop(0)
        (length,) = struct.unpack(">H", frame[:2])
        assert length == len(frame) - 2
        n, p = s.recv.open(frame[2:])
        t, body = p[0], p[1:]
        if t == REKEY and s.e is None:
            s.make_ephemeral(answer_label)      # to answer it, ahead of it
        s.steps.append({"side": s.role, "op": "open", "type": t,
                        "type_name": TYPE_NAMES[t], "body": body.hex(),
                        "nonce": n})
        if t == REKEY:
            assert not s.got_rekey and len(body) == s.S.dhlen
            s.got_rekey, s.re = True, body
            s.maybe_derive()
        elif t == SWITCH:
            assert s.got_rekey and s.sent_rekey and s.new_recv is not None
            s.recv.k, s.new_recv = s.new_recv, None
            s.got_switch = True
            s.maybe_finish()
        return t

    def maybe_derive(s):
        """Both REKEYs known: (rk, k_i2r, k_r2i) = HKDF(rk, DH(e, re), 3)."""
        if not (s.got_rekey and s.e is not None and s.new_send is None
                and not s.sent_switch):
            return
        dh = s.S.dh(s.e, s.re)
        s.rk, o2, o3 = hkdf(s.S, s.rk, dh, 3)
        k_i2r, k_r2i = o2[:32], o3[:32]
        s.new_send, s.new_recv = (k_i2r, k_r2i) if s.role == "initiator" else (k_r2i, k_i2r)
        s.e = None
        s.steps.append({"side": s.role, "op": "derived", "round": len(s.rounds_done()),
                        "rk": s.rk.hex(), "k_i2r": k_i2r.hex(), "k_r2i": k_r2i.hex(),
                        "dh": dh.hex()})

    def rounds_done(s):
        return [x for x in s.steps if x["side"] == s.role and x["op"] == "finished"]

    def maybe_finish(s):
        if s.sent_switch and s.got_switch:
            s.sent_rekey = s.got_rekey = s.sent_switch = s.got_switch = False
            s.e = s.e_pub = None
            s.steps.append({"side": s.role, "op": "finished"})


def vector(S, comment, start_nonce, script):
    prologue = b"SEALCAT/2 " + S.protocol + b"\n"
    keys = {k: S.priv(k.encode()) for k in
            ("init static", "init ephemeral", "resp static", "resp ephemeral")}
    msgs, hh, (k1, k2, rk) = handshake(S, prologue, keys["init static"],
                                       keys["init ephemeral"], keys["resp static"],
                                       keys["resp ephemeral"])
    steps = []
    I = Side(S, "initiator", Cipher(S, k1, start_nonce), Cipher(S, k2, start_nonce), rk, steps, None)
    R = Side(S, "responder", Cipher(S, k2, start_nonce), Cipher(S, k1, start_nonce), rk, steps, None)
    I.peer, R.peer = R, I
    script(I, R)
    assert not I.inbox and not R.inbox, "every frame sealed is opened"
    return {
        "comment": comment,
        "protocol_name": S.protocol.decode(),
        "prologue": prologue.hex(),
        "init_static": keys["init static"].hex(),
        "init_ephemeral": keys["init ephemeral"].hex(),
        "resp_static": keys["resp static"].hex(),
        "resp_ephemeral": keys["resp ephemeral"].hex(),
        "handshake": [m.hex() for m in msgs],
        "handshake_hash": hh.hex(),
        "split_k1": k1.hex(), "split_k2": k2.hex(), "split_rk": rk.hex(),
        "start_nonce": start_nonce,
        "steps": steps,
    }


def one_side_starts(I, R):
    """The initiator starts a round; the responder answers; a clean end."""
    I.seal(DATA, b"hello from the initiator")
    R.seal(DATA, b"hello from the responder")
    I.start(b"round 1 initiator")
    I.seal(REKEY, I.e_pub)
    I.seal(DATA, b"still under the first key")
    R.open()
    R.open(answer_label=b"round 1 responder")      # REKEY: answer it
    R.seal(REKEY, R.e_pub)
    R.seal(SWITCH)
    R.seal(DATA, b"under the responder's new key")
    R.open()
    I.open(); I.open(); I.open(); I.open()        # DATA, REKEY, SWITCH, DATA
    I.seal(SWITCH)
    I.seal(DATA, b"under the initiator's new key")
    I.seal(CLOSE)
    R.open(); R.open(); R.open()                  # SWITCH, DATA, CLOSE
    R.seal(DONE)
    R.seal(CLOSE)
    I.open(); I.open()                            # DONE, CLOSE
    I.seal(DONE)
    R.open()


def both_start(I, R):
    """Near nonce 65536: both start at once (Rekey() right after the
    switches), then the responder starts a second round; PING, ERROR."""
    I.start(b"round 1 initiator, both")
    R.start(b"round 1 responder, both")
    I.seal(REKEY, I.e_pub)                        # 65534
    R.seal(REKEY, R.e_pub)
    I.open(); R.open()
    I.seal(SWITCH)                                # 65535, old key
    R.seal(SWITCH)
    I.seal(DATA, b"nonce 65536: Rekey() of the new key")
    R.seal(PING, b"keepalive")
    I.open(); I.open()                            # SWITCH, PING
    R.open(); R.open()                            # SWITCH, DATA
    R.start(b"round 2 responder")
    R.seal(REKEY, R.e_pub)
    I.open(answer_label=b"round 2 initiator")
    I.seal(REKEY, I.e_pub)
    I.seal(SWITCH)
    R.open(); R.open()
    R.seal(SWITCH)
    R.seal(DATA, b"after two rounds")
    R.seal(CLOSE)
    I.open(); I.open(); I.open()
    I.seal(ERROR, b"could not deliver your stream: No space left on device")
    R.open()


def main():
    S = {"p256": P256, "x25519": X25519}[sys.argv[1]]
    vectors = [
        vector(S, "one side starts a round; DATA interleaved; a clean ending with "
               "CLOSE and DONE both ways", 0, one_side_starts),
        vector(S, "both sides start a round at once at nonces 65534-65535, so "
               "frame 65536 applies Rekey() to the new key; then a second round "
               "started by the responder; PING and ERROR", REKEY_INTERVAL - 2,
               both_start),
    ]
    json.dump({
        "comment": "sealcat protocol v2, suite %s (%s): fixed-key vectors computed "
                   "from PROTOCOL.md by an independent Python implementation on "
                   "pyca/cryptography and hashlib (not sealcat's code, not a "
                   "published vector). The handshake messages are without their "
                   "uint16 length; frames are whole, with it. Steps run in order: "
                   "set_ephemeral (the next ephemeral key the side makes), start "
                   "(the side starts a rekey round), seal, open (the oldest frame "
                   "from the other side not yet opened; a set_ephemeral right "
                   "before it is for answering the REKEY it holds), derived (the side now "
                   "knows both REKEYs; round counts the side's finished rounds), "
                   "finished (the side has sent its SWITCH and received the "
                   "peer's). start_nonce is where both directions' counters "
                   "begin, with the keys of Split."
                   % (S.name, S.protocol.decode()),
        "vectors": vectors,
    }, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
