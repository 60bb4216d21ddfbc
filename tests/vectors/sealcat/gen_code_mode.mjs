// gen_code_mode.mjs - known answers for sealcat's code mode (PROTOCOL.md,
// "Code mode"): CPace (CPACE-RISTR255-SHA512, draft-irtf-cfrg-cpace) with
// sealcat's inputs, then Noise_XXpsk0_25519_ChaChaPoly_BLAKE2b keyed with
// the psk it yields, for fixed codes, sid, scalars and keys.
//
// Written from the specifications, independently of sealcat's C code and
// without libsodium: ristretto255 from @noble/curves, SHA-512 and BLAKE2b
// from @noble/hashes, ChaCha20-Poly1305 from @noble/ciphers (npm).  CPace
// and the Noise state machine are written out below.  Before it writes
// anything the script checks itself against published vectors: the draft's
// G_Coffee25519 run and scalar_mult_vfy cases (../cpace/testvectors.json),
// and every NN and XX vector, with or without psk modifiers, for
// 25519_ChaChaPoly_BLAKE2b in ../noise/cacophony.txt and ../noise/snow.txt.
//
// Not run by make check; test_code_mode reads its output.  Regenerate with
//   npm ci && node gen_code_mode.mjs > code_mode.json
// (node_modules is not committed) and update the sha256 in ../README.md.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ristretto255, ristretto255_hasher, x25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';

const here = dirname(fileURLToPath(import.meta.url));
const Point = ristretto255.Point;
const ORDER = Point.Fn.ORDER;

// ---- bytes ----

const enc = new TextEncoder();
const utf8 = (s) => enc.encode(s);
const hex = (b) => Buffer.from(b).toString('hex');
const unhex = (h) => new Uint8Array(Buffer.from(h, 'hex'));
const cat = (...parts) => {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let off = 0;
	for (const p of parts) {
		out.set(p, off);
		off += p.length;
	}
	return out;
};
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const be16 = (n) => new Uint8Array([n >> 8, n & 0xff]);
const leToNumber = (b) => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
const numberToLe = (n, len) => {
	const out = new Uint8Array(len);
	for (let i = 0; i < len; i++, n >>= 8n)
		out[i] = Number(n & 0xffn);
	return out;
};

function check(cond, what) {
	if (!cond) {
		process.stderr.write(`gen_code_mode: self-check failed: ${what}\n`);
		process.exit(1);
	}
}

// ---- CPace, from the draft ----

// prepend_len: LEB128 length, then the data ("CPace function definitions").
function prependLen(data) {
	const len = [];
	let n = data.length;
	do {
		len.push((n & 0x7f) | (n >= 128 ? 0x80 : 0));
		n >>>= 7;
	} while (n !== 0);
	return cat(new Uint8Array(len), data);
}
const lvCat = (...args) => cat(...args.map(prependLen));

const DSI = utf8('CPaceRistretto255');
const S_IN_BYTES = 128;		// SHA-512's input block

function generatorString(prs, ci, sid) {
	const zpad = Math.max(0, S_IN_BYTES - 1 - prependLen(prs).length -
	    prependLen(DSI).length);
	return lvCat(DSI, prs, new Uint8Array(zpad), ci, sid);
}

// G_Ristretto255.calculate_generator: element_derivation (RFC 9496) of the
// 64-byte SHA-512 of the generator string.
const calculateGenerator = (prs, ci, sid) =>
	ristretto255_hasher.deriveToCurve(sha512(generatorString(prs, ci, sid)));

const scalarMult = (y, g) => g.multiply(leToNumber(y)).toBytes();

// scalar_mult_vfy: G.I (null here) if X does not decode or y*X is G.I.
function scalarMultVfy(y, x) {
	let point;
	try {
		point = Point.fromBytes(x);
	} catch {
		return null;
	}
	const k = point.multiply(leToNumber(y));
	return k.equals(Point.ZERO) ? null : k.toBytes();
}

const transcriptIr = (ya, ada, yb, adb) => cat(lvCat(ya, ada), lvCat(yb, adb));
const isk = (sid, k, ya, ada, yb, adb) =>
	sha512(cat(lvCat(cat(DSI, utf8('_ISK')), sid, k),
	    transcriptIr(ya, ada, yb, adb)));

function checkCpace() {
	const all = JSON.parse(readFileSync(join(here, '../cpace/testvectors.json')));
	const v = Object.fromEntries(Object.entries(all.G_Coffee25519)
	    .map(([k, x]) => [k, unhex(x)]));
	const g = calculateGenerator(v.PRS, v.CI, v.sid);
	check(equal(g.toBytes(), v.g), 'G_Coffee25519 g');
	check(equal(scalarMult(v.ya, g), v.Ya), 'G_Coffee25519 Ya');
	check(equal(scalarMult(v.yb, g), v.Yb), 'G_Coffee25519 Yb');
	check(equal(scalarMultVfy(v.ya, v.Yb), v.K), 'G_Coffee25519 K (A)');
	check(equal(scalarMultVfy(v.yb, v.Ya), v.K), 'G_Coffee25519 K (B)');
	check(equal(isk(v.sid, v.K, v.Ya, v.ADa, v.Yb, v.ADb), v.ISK_IR),
	    'G_Coffee25519 ISK_IR');
	const p = all.G_Coffee25519_points;
	check(equal(scalarMultVfy(unhex(p.Valid.s), unhex(p.Valid.X)),
	    unhex(p.Valid['G.scalar_mult_vfy(s,X)'])), 'points: valid');
	check(scalarMultVfy(unhex(p.Valid.s), unhex(p['Invalid Y1'])) === null,
	    'points: Invalid Y1 refused');
	check(scalarMultVfy(unhex(p.Valid.s), unhex(p['Invalid Y2'])) === null,
	    'points: Invalid Y2 refused');
}

// ---- Noise (revision 34), 25519_ChaChaPoly_BLAKE2b ----

const HASHLEN = 64;
const HASH = (data) => blake2b(data);
const HMAC = (key, data) => hmac(blake2b, key, data);

// HKDF(ck, ikm, n) of Noise §4.3.
function HKDF(ck, ikm, n) {
	const temp = HMAC(ck, ikm);
	const out = [];
	let prev = new Uint8Array(0);
	for (let i = 1; i <= n; i++) {
		prev = HMAC(temp, cat(prev, new Uint8Array([i])));
		out.push(prev);
	}
	return out;
}

// ChaChaPoly: 32 bits of zeros, then the nonce little-endian (Noise §12.3).
const nonce = (n) => cat(new Uint8Array(4), numberToLe(BigInt(n), 8));
const ENCRYPT = (k, n, ad, p) => chacha20poly1305(k, nonce(n), ad).encrypt(p);
const DECRYPT = (k, n, ad, c) => chacha20poly1305(k, nonce(n), ad).decrypt(c);
const DH = (priv, pub) => x25519.getSharedSecret(priv, pub);
const PUB = (priv) => x25519.getPublicKey(priv);

// Message patterns (Noise §7.5) and the psk modifiers (§9.4).
const PATTERNS = {
	NN: [['e'], ['e', 'ee']],
	XX: [['e'], ['e', 'ee', 's', 'es'], ['s', 'se']],
};

function pattern(name) {
	const m = /^(NN|XX)((?:psk\d)(?:\+psk\d)*)?$/.exec(name);
	if (m === null)
		return null;
	const msgs = PATTERNS[m[1]].map((t) => [...t]);
	for (const mod of m[2] ? m[2].split('+') : []) {
		const i = Number(mod.slice(3));
		if (i === 0)
			msgs[0].unshift('psk');
		else
			msgs[i - 1].push('psk');
	}
	return msgs;
}

class Handshake {
	constructor(name, initiator, prologue, s, e, psks) {
		const protocol = utf8(name);
		this.msgs = pattern(name.split('_')[1]);
		this.psk = this.msgs.flat().includes('psk');
		this.h = protocol.length <= HASHLEN ?
		    cat(protocol, new Uint8Array(HASHLEN - protocol.length)) :
		    HASH(protocol);
		this.ck = this.h;
		this.k = null;
		this.n = 0;
		this.initiator = initiator;
		this.s = s;
		this.e = e;
		this.psks = [...psks];
		this.index = 0;
		this.mixHash(prologue);
	}
	mixHash(data) { this.h = HASH(cat(this.h, data)); }
	mixKey(ikm) {
		const [ck, k] = HKDF(this.ck, ikm, 2);
		this.ck = ck;
		this.k = k.slice(0, 32);
		this.n = 0;
	}
	mixKeyAndHash(ikm) {
		const [ck, h, k] = HKDF(this.ck, ikm, 3);
		this.ck = ck;
		this.mixHash(h);
		this.k = k.slice(0, 32);
		this.n = 0;
	}
	encryptAndHash(p) {
		const c = this.k === null ? p : ENCRYPT(this.k, this.n++, this.h, p);
		this.mixHash(c);
		return c;
	}
	decryptAndHash(c) {
		const p = this.k === null ? c : DECRYPT(this.k, this.n++, this.h, c);
		this.mixHash(c);
		return p;
	}
	// The DH of a two-letter token: our key is the first letter when we
	// are the initiator, the second when we are the responder.
	dh(token) {
		const [a, b] = this.initiator ? token : [token[1], token[0]];
		const ours = a === 'e' ? this.e : this.s;
		const theirs = b === 'e' ? this.re : this.rs;
		return DH(ours, theirs);
	}
	write(payload) {
		const out = [];
		for (const t of this.msgs[this.index++]) {
			if (t === 'e') {
				const pub = PUB(this.e);
				out.push(pub);
				this.mixHash(pub);
				if (this.psk)
					this.mixKey(pub);
			} else if (t === 's') {
				out.push(this.encryptAndHash(PUB(this.s)));
			} else if (t === 'psk') {
				this.mixKeyAndHash(this.psks.shift());
			} else {
				this.mixKey(this.dh(t));
			}
		}
		out.push(this.encryptAndHash(payload));
		return cat(...out);
	}
	read(msg) {
		let off = 0;
		for (const t of this.msgs[this.index++]) {
			if (t === 'e') {
				this.re = msg.slice(off, off += 32);
				this.mixHash(this.re);
				if (this.psk)
					this.mixKey(this.re);
			} else if (t === 's') {
				const len = this.k === null ? 32 : 48;
				this.rs = this.decryptAndHash(msg.slice(off, off += len));
			} else if (t === 'psk') {
				this.mixKeyAndHash(this.psks.shift());
			} else {
				this.mixKey(this.dh(t));
			}
		}
		return this.decryptAndHash(msg.slice(off));
	}
	get done() { return this.index === this.msgs.length; }
	split() {
		const [k1, k2] = HKDF(this.ck, new Uint8Array(0), 2);
		return [k1.slice(0, 32), k2.slice(0, 32)];
	}
}

// Runs a whole handshake and transport as the cacophony format describes
// it (messages alternate, initiator first); false at the first mismatch.
function runNoiseVector(v) {
	const b = (x) => (x === undefined ? undefined : unhex(x));
	const ini = new Handshake(v.protocol_name, true, b(v.init_prologue),
	    b(v.init_static), b(v.init_ephemeral), (v.init_psks || []).map(unhex));
	const res = new Handshake(v.protocol_name, false, b(v.resp_prologue),
	    b(v.resp_static), b(v.resp_ephemeral), (v.resp_psks || []).map(unhex));
	let c = null, n = [0, 0];
	for (let i = 0; i < v.messages.length; i++) {
		const m = v.messages[i];
		const fromIni = i % 2 === 0;
		const payload = unhex(m.payload), want = unhex(m.ciphertext);
		let ct, pt;
		if (!ini.done) {
			const [w, r] = fromIni ? [ini, res] : [res, ini];
			ct = w.write(payload);
			pt = r.read(ct);
			if (ini.done) {
				if (v.handshake_hash !== undefined &&
				    !equal(ini.h, unhex(v.handshake_hash)))
					return false;
				c = ini.split();
			}
		} else {
			const k = fromIni ? c[0] : c[1], dir = fromIni ? 0 : 1;
			ct = ENCRYPT(k, n[dir], new Uint8Array(0), payload);
			pt = DECRYPT(k, n[dir]++, new Uint8Array(0), ct);
		}
		if (!equal(ct, want) || !equal(pt, payload))
			return false;
	}
	return true;
}

function checkNoise() {
	const want = /^Noise_(NN|XX)(psk\d(\+psk\d)*)?_25519_ChaChaPoly_BLAKE2b$/;
	let count = 0;
	for (const file of ['cacophony.txt', 'snow.txt']) {
		const all = JSON.parse(readFileSync(join(here, '../noise', file)));
		for (const v of all.vectors.filter((x) => want.test(x.protocol_name))) {
			let good;
			try {
				good = runNoiseVector(v);
			} catch (err) {
				good = false;
			}
			check(good, `${file}: ${v.protocol_name}`);
			count++;
		}
	}
	check(count >= 10, `only ${count} Noise vectors found`);
	return count;
}

// ---- sealcat's code mode ----

const LINE = utf8('SEALCAT/2 CPace+Noise_XXpsk0_25519_ChaChaPoly_BLAKE2b\n');
const CI = lvCat(LINE, utf8('connect'), utf8('listen'));
const PROTOCOL = 'Noise_XXpsk0_25519_ChaChaPoly_BLAKE2b';
const PSK_LABEL = utf8('sealcat/1 code psk');
const EMPTY = new Uint8Array(0);

// Fixed "random" values, derived from a label so they look like real ones.
const fixedBytes = (label, len) => sha512(utf8(`sealcat code-mode vector: ${label}`)).slice(0, len);
const fixedScalar = (label) =>
	numberToLe(leToNumber(sha512(utf8(`sealcat code-mode vector: ${label}`))) %
	    ORDER, 32);

function codeModeVector(spec) {
	const tag = spec.tag;
	const prs = utf8(spec.code);
	const sid = fixedBytes(`${tag} sid`, 16);
	const ya = fixedScalar(`${tag} ya`), yb = fixedScalar(`${tag} yb`);
	const keys = {};
	for (const k of ['init_static', 'init_ephemeral', 'resp_static',
	    'resp_ephemeral'])
		keys[k] = fixedBytes(`${tag} ${k}`, 32);

	// CPace: A = sid || Ya from connect, B = Yb from listen.
	const g = calculateGenerator(prs, CI, sid);
	const Ya = scalarMult(ya, g), Yb = scalarMult(yb, g);
	const kA = scalarMultVfy(ya, Yb), kB = scalarMultVfy(yb, Ya);
	check(kA !== null && equal(kA, kB), `${tag}: K agrees`);
	const iskA = isk(sid, kA, Ya, EMPTY, Yb, EMPTY);
	const psk = blake2b(PSK_LABEL, { key: iskA, dkLen: 32 });
	const msgA = cat(sid, Ya), msgB = Yb;
	const prologue = cat(LINE, be16(msgA.length), msgA, be16(msgB.length), msgB);

	// Noise XXpsk0: message 1 empty, 2 and 3 one byte each.
	const ini = new Handshake(PROTOCOL, true, prologue, keys.init_static,
	    keys.init_ephemeral, [psk]);
	const res = new Handshake(PROTOCOL, false, prologue, keys.resp_static,
	    keys.resp_ephemeral, [psk]);
	const payloads = [EMPTY, new Uint8Array([spec.resp_payload]),
	    new Uint8Array([spec.init_payload])];
	const messages = payloads.map((p, i) => {
		const [w, r] = i % 2 === 0 ? [ini, res] : [res, ini];
		const ct = w.write(p);
		check(equal(r.read(ct), p), `${tag}: message ${i + 1} reads back`);
		return { payload: hex(p), ciphertext: hex(ct) };
	});
	check(equal(ini.h, res.h) && equal(ini.rs, PUB(keys.resp_static)) &&
	    equal(res.rs, PUB(keys.init_static)), `${tag}: handshake agrees`);
	const [k1, k2] = ini.split();

	// A listener with another code answers with its own Yb and ends up
	// with another psk and prologue: message 1 does not decrypt.
	const wrongG = calculateGenerator(utf8(spec.wrong_code), CI, sid);
	const wrongYb = scalarMult(yb, wrongG);
	const wrongK = scalarMultVfy(yb, Ya);
	const wrongPsk = blake2b(PSK_LABEL, {
		key: isk(sid, wrongK, Ya, EMPTY, wrongYb, EMPTY), dkLen: 32 });
	const wrongPrologue = cat(LINE, be16(48), msgA, be16(32), wrongYb);
	const wrongRes = new Handshake(PROTOCOL, false, wrongPrologue,
	    keys.resp_static, keys.resp_ephemeral, [wrongPsk]);
	let refused = false;
	try {
		wrongRes.read(unhex(messages[0].ciphertext));
	} catch {
		refused = true;
	}
	check(refused, `${tag}: the wrong code's listener refuses message 1`);

	const frame = (m) => cat(be16(m.length), m);
	const ct = messages.map((m) => unhex(m.ciphertext));
	return {
		comment: spec.comment,
		code: spec.code,
		typed: spec.typed,
		number_max: spec.number_max,
		prs: hex(prs),
		ci: hex(CI),
		sid: hex(sid),
		ya: hex(ya),
		yb: hex(yb),
		generator: hex(g.toBytes()),
		Ya: hex(Ya),
		Yb: hex(Yb),
		K: hex(kA),
		ISK: hex(iskA),
		psk: hex(psk),
		msg_a: hex(msgA),
		msg_b: hex(msgB),
		prologue: hex(prologue),
		protocol_name: PROTOCOL,
		init_static: hex(keys.init_static),
		init_ephemeral: hex(keys.init_ephemeral),
		resp_static: hex(keys.resp_static),
		resp_ephemeral: hex(keys.resp_ephemeral),
		init_static_public: hex(PUB(keys.init_static)),
		resp_static_public: hex(PUB(keys.resp_static)),
		messages,
		handshake_hash: hex(ini.h),
		init_send_key: hex(k1),
		resp_send_key: hex(k2),
		wire_connect_to_listen: hex(cat(LINE, frame(msgA), frame(ct[0]),
		    frame(ct[2]))),
		wire_listen_to_connect: hex(cat(frame(msgB), frame(ct[1]))),
		wrong_code: spec.wrong_code,
		wrong_code_msg_b: hex(wrongYb),
	};
}

checkCpace();
const noiseChecks = checkNoise();
const specs = [
	{
		tag: 'direct',
		comment: 'direct mode, two words; the listener has a persistent ' +
		    'key (message 2 payload 01), the connector a one-time key ' +
		    '(message 3 payload 00)',
		code: '7-sapphire-clock',
		typed: '  007 Sapphire  CLOCK ',
		number_max: 99,
		wrong_code: '7-sapphire-cloud',
		resp_payload: 0x01,
		init_payload: 0x00,
	},
	{
		tag: 'relay',
		comment: 'a relay number and six words, yo-yo among them; the ' +
		    'listener has a one-time key (message 2 payload 00), the ' +
		    'connector a persistent key (message 3 payload 01)',
		code: '123456-aardvark-yoyo-zucchini-abbreviate-sapphire-clock',
		typed: '123456 AARD yo-yo zuc abbrev--sapphire clock',
		number_max: 999999,
		wrong_code: '123457-aardvark-yoyo-zucchini-abbreviate-sapphire-clock',
		resp_payload: 0x00,
		init_payload: 0x01,
	},
];
const out = {
	comment: 'sealcat code mode (PROTOCOL.md, "Code mode"): CPace ' +
	    'CPACE-RISTR255-SHA512 with PRS = the canonical code, CI = ' +
	    'lv(L) || lv("connect") || lv("listen"), sid from message A, ' +
	    'ADa = ADb = empty, the initiator-responder ISK; psk = ' +
	    'BLAKE2b-256(key = ISK, "sealcat/1 code psk"); then ' +
	    'Noise_XXpsk0_25519_ChaChaPoly_BLAKE2b with prologue L || ' +
	    'be16(48) || A || be16(32) || B. Computed by gen_code_mode.mjs ' +
	    '(@noble/curves, @noble/hashes, @noble/ciphers; not libsodium, ' +
	    'not sealcat\'s code), which first reproduced the draft\'s ' +
	    'G_Coffee25519 run and scalar_mult_vfy cases and the ' +
	    `${noiseChecks} ` +
	    'NN/XX 25519_ChaChaPoly_BLAKE2b vectors of cacophony and snow. ' +
	    'Scalars and keys are fixed values; "typed" is one way a person ' +
	    'may type the code, which the parser must read as "code"; ' +
	    'wire_*: the bytes each side sends, handshake messages framed ' +
	    'as uint16 BE length || body; a listener holding wrong_code ' +
	    'answers A with wrong_code_msg_b and cannot read message 1.',
	vectors: specs.map(codeModeVector),
};
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
