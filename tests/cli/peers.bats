#!/usr/bin/env bats
# peers.bats - sealcat peers list|allow|trust|forget: the trust files
# edited from the command line, checked before writing, rewritten whole
# under the lock --trust-new takes, with their modes kept.

load helpers

setup() {
	common_setup
	make_identities
	CFG=$XDG_CONFIG_HOME/sealcat
	AP=$CFG/authorized_peers
	KP=$CFG/known_peers
	mkdir -p "$CFG"
	chmod 700 "$XDG_CONFIG_HOME" "$CFG"
	"$SEALCAT" keygen -o alice -C alice@laptop >/dev/null
	ALICE=$(cut -d' ' -f1 alice.pub)
}

teardown() {
	pipe_teardown
}

@test "peers list: nothing when neither file exists" {
	run "$SEALCAT" peers list
	assert_status 0
	[ -z "$output" ]
}

@test "peers allow: a .pub file's comment becomes the comment" {
	run "$SEALCAT" peers allow alice.pub
	assert_status 0
	[ "$output" = "sealcat: added $ALICE to $AP:1" ]
	[ "$(cat "$AP")" = "$ALICE alice@laptop" ]
	[ "$(stat -c %a "$AP")" = 600 ]
}

@test "peers allow: TOKEN with a comment, a .pub line, and a duplicate left alone" {
	run "$SEALCAT" peers allow "$CLIENT_TOKEN" bob@desk
	assert_status 0
	run "$SEALCAT" peers allow "$(cat alice.pub)"
	assert_status 0
	run "$SEALCAT" peers allow "$CLIENT_TOKEN" other
	assert_status 0
	[ "$output" = "sealcat: $CLIENT_TOKEN is already in $AP:1 — nothing to do" ]
	[ "$(cat "$AP")" = "$CLIENT_TOKEN bob@desk
$ALICE alice@laptop" ]
}

@test "peers list: both files, with file, line number and comment" {
	printf '# my peers\n%s alice@laptop\n\n%s\n' "$ALICE" "$CLIENT_TOKEN" >"$AP"
	printf 'host:9000 %s\n# relay\nmyrelay %s\n' "$SERVER_TOKEN" "$ALICE" >"$KP"
	run "$SEALCAT" peers list
	assert_status 0
	[ "$output" = "$AP:2 $ALICE alice@laptop
$AP:4 $CLIENT_TOKEN
$KP:1 host:9000 $SERVER_TOKEN
$KP:3 myrelay $ALICE" ]
}

@test "peers list: a bad line is reported with file:line, the rest listed, exit 2" {
	printf 'x25519:nope\n%s ok\n' "$ALICE" >"$AP"
	rc=0
	"$SEALCAT" peers list >out 2>err || rc=$?
	[ "$rc" -eq 2 ]
	[ "$(cat out)" = "$AP:2 $ALICE ok" ]
	[ "$(cat err)" = "sealcat: $AP:1: malformed x25519 key (expected 44 base64 characters, got 4) — copy the whole token as 'sealcat pubkey' prints it" ]
}

@test "peers trust: HOST:PORT, [v6]:PORT and NAME; a new key replaces the old" {
	run "$SEALCAT" peers trust host:9000 "$SERVER_TOKEN"
	assert_status 0
	[ "$output" = "sealcat: added host:9000 $SERVER_TOKEN to $KP" ]
	run "$SEALCAT" peers trust '[::1]:9000' alice.pub
	assert_status 0
	run "$SEALCAT" peers trust myrelay "$CLIENT_TOKEN"
	assert_status 0
	run "$SEALCAT" peers trust host:9000 "$SERVER_TOKEN"
	assert_status 0
	[ "$output" = "sealcat: host:9000 $SERVER_TOKEN is already in $KP:1 — nothing to do" ]
	run "$SEALCAT" peers trust host:9000 "$ALICE"
	assert_status 0
	[ "$output" = "sealcat: replacing $KP:1 host:9000 $SERVER_TOKEN
sealcat: added host:9000 $ALICE to $KP" ]
	[ "$(cat "$KP")" = "[::1]:9000 $ALICE
myrelay $CLIENT_TOKEN
host:9000 $ALICE" ]
}

@test "peers trust: the file keeps its mode; other lines kept byte for byte" {
	printf '# comment  kept\nold:1 %s\n' "$CLIENT_TOKEN" >"$KP"
	chmod 640 "$KP"
	run "$SEALCAT" peers trust new:2 "$SERVER_TOKEN"
	assert_status 0
	[ "$(stat -c %a "$KP")" = 640 ]
	[ "$(cat "$KP")" = "# comment  kept
old:1 $CLIENT_TOKEN
new:2 $SERVER_TOKEN" ]
}

@test "peers trust: what connect then accepts without --peer" {
	start_listener --allow "$CLIENT_TOKEN"
	run "$SEALCAT" peers trust "127.0.0.1:$PORT" "$SERVER_TOKEN"
	assert_status 0
	echo hello >in
	run connect_io in out -v
	assert_status 0
	[[ $output == *"server 127.0.0.1:$PORT key $SERVER_TOKEN is in $KP"* ]]
}

@test "peers trust: two at once both land, the file intact" {
	for i in $(seq 1 20); do
		"$SEALCAT" peers trust "host$i:9000" "$SERVER_TOKEN" 2>/dev/null &
		"$SEALCAT" peers trust "name$i" "$CLIENT_TOKEN" 2>/dev/null &
		wait
	done
	[ "$(wc -l <"$KP")" -eq 40 ]
	for i in $(seq 1 20); do
		grep -qx "host$i:9000 $SERVER_TOKEN" "$KP"
		grep -qx "name$i $CLIENT_TOKEN" "$KP"
	done
	run "$SEALCAT" peers list
	assert_status 0
	[ "$(ls -A "$CFG")" = "$(printf 'known_peers')" ]
}

@test "peers trust and connect --trust-new at once: both lines land" {
	start_listener --allow "$CLIENT_TOKEN"
	"$SEALCAT" peers trust other:1 "$CLIENT_TOKEN" 2>/dev/null &
	connect_io /dev/null out --trust-new 2>/dev/null &
	"$SEALCAT" peers trust other:2 "$CLIENT_TOKEN" 2>/dev/null &
	wait
	grep -qx "127.0.0.1:$PORT $SERVER_TOKEN" "$KP"
	grep -qx "other:1 $CLIENT_TOKEN" "$KP"
	grep -qx "other:2 $CLIENT_TOKEN" "$KP"
}

@test "peers forget HOST:PORT, NAME and TOKEN, saying what went" {
	printf '%s alice@laptop\n%s bob\n' "$ALICE" "$CLIENT_TOKEN" >"$AP"
	printf 'host:9000 %s\nmyrelay %s\n[::1]:22 %s\n' "$SERVER_TOKEN" \
	    "$CLIENT_TOKEN" "$ALICE" >"$KP"
	run "$SEALCAT" peers forget host:9000
	assert_status 0
	[ "$output" = "sealcat: removed $KP:1 host:9000 $SERVER_TOKEN" ]
	run "$SEALCAT" peers forget myrelay
	assert_status 0
	[ "$output" = "sealcat: removed $KP:1 myrelay $CLIENT_TOKEN" ]
	run "$SEALCAT" peers forget "$ALICE"
	assert_status 0
	[ "$output" = "sealcat: removed $AP:1 $ALICE alice@laptop
sealcat: removed $KP:1 [::1]:22 $ALICE" ]
	[ "$(cat "$AP")" = "$CLIENT_TOKEN bob" ]
	[ "$(cat "$KP")" = "" ]
	run "$SEALCAT" peers forget myrelay
	assert_status 1
	assert_one_line_error "^sealcat: peers forget: no entry for myrelay in $KP — see sealcat peers list$"
}

@test "peers: bad input is refused with one line, exit 2, nothing written" {
	run "$SEALCAT" peers allow x25519:abc
	assert_status 2
	[ "$output" = "sealcat: peers allow: malformed x25519 key (expected 44 base64 characters, got 3) — copy the whole token as 'sealcat pubkey' prints it" ]
	run "$SEALCAT" peers allow nofile
	assert_status 2
	[ "$output" = "sealcat: peers allow: 'nofile' is neither a public key token nor a .pub file — give TOKEN (x25519:...) or FILE.pub" ]
	run "$SEALCAT" peers allow "$ALICE" "$(printf 'a\tb')"
	assert_status 2
	[ "$output" = "sealcat: peers allow: the comment has control characters — use printable text" ]
	run "$SEALCAT" peers trust host:x "$SERVER_TOKEN"
	assert_status 2
	[ "$output" = "sealcat: peers trust: 'host:x' is neither HOST:PORT nor a NAME — give host:9000, [::1]:9000 or a name without ':'" ]
	run "$SEALCAT" peers trust ::1:22 "$SERVER_TOKEN"
	assert_status 2
	[ "$output" = "sealcat: peers trust: '::1:22' is neither HOST:PORT nor a NAME — give host:9000, [::1]:9000 or a name without ':'" ]
	run "$SEALCAT" peers trust host:1 x25519:
	assert_status 2
	[ "$output" = "sealcat: peers trust: malformed x25519 key (expected 44 base64 characters, got 0) — copy the whole token as 'sealcat pubkey' prints it" ]
	run "$SEALCAT" peers trust host:1
	assert_status 2
	[ "$output" = "sealcat: peers trust: missing arguments — usage: sealcat peers trust HOST:PORT|NAME TOKEN" ]
	run "$SEALCAT" peers forget 'a b'
	assert_status 2
	[ "$output" = "sealcat: peers forget: 'a b' is not HOST:PORT, a NAME or a public key token — see sealcat peers list" ]
	run "$SEALCAT" peers frobnicate
	assert_status 2
	[ "$output" = "sealcat: unknown subcommand 'frobnicate' (list, allow, trust or forget) — see 'sealcat peers --help'" ]
	run "$SEALCAT" peers
	assert_status 2
	[ "$output" = "sealcat: missing subcommand (list, allow, trust or forget) — see 'sealcat peers --help'" ]
	[ ! -e "$AP" ] && [ ! -e "$KP" ]
}

@test "peers trust: a known_peers writable by others is refused, not rewritten" {
	printf 'old:1 %s\n' "$CLIENT_TOKEN" >"$KP"
	chmod 666 "$KP"
	run "$SEALCAT" peers trust new:2 "$SERVER_TOKEN"
	assert_status 2
	assert_one_line_error "^sealcat: $KP: writable by others, who could make sealcat trust any key — run chmod go-w $KP$"
	[ "$(cat "$KP")" = "old:1 $CLIENT_TOKEN" ]
}

# ---------------------------------------------------------------- fingerprints

# The derivation PROTOCOL.md §4.1 documents, computed apart from sealcat.
fingerprint_of() {
	python3 - "$1" <<'PY'
import base64, hashlib, sys
suite, b64 = sys.argv[1].split(":", 1)
d = hashlib.blake2b(suite.encode() + b"\0" + base64.b64decode(b64),
    digest_size=32, key=b"sealcat fingerprint v1").digest()
s = base64.b32encode(d[:10]).decode().lower()
print("-".join(s[i:i + 4] for i in range(0, 16, 4)))
PY
}

@test "pubkey -F: the documented fingerprint, the same on every run, both suites" {
	run "$SEALCAT" pubkey -F -i "$SERVER_ID"
	assert_status 0
	[[ $output =~ ^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$ ]]
	[ "$output" = "$(fingerprint_of "$SERVER_TOKEN")" ]
	[ "$("$SEALCAT" pubkey --fingerprint -i "$SERVER_ID")" = "$output" ]
	[ "$("$SEALCAT" pubkey -F -i "$CLIENT_ID")" != "$output" ]
	"$SEALCAT" keygen --suite p256 -o p >/dev/null
	[ "$("$SEALCAT" pubkey -F -i p)" = "$(fingerprint_of "$(cut -d' ' -f1 p.pub)")" ]
}

@test "fingerprints: -v on each side shows the other's pubkey -F" {
	local server_fp client_fp
	server_fp=$("$SEALCAT" pubkey -F -i "$SERVER_ID")
	client_fp=$("$SEALCAT" pubkey -F -i "$CLIENT_ID")
	start_listener --allow "$CLIENT_TOKEN"
	run connect_io /dev/null out -v --peer "$SERVER_TOKEN"
	assert_status 0
	[[ $output == *"127.0.0.1:$PORT is $SERVER_TOKEN (suite x25519, fingerprint $server_fp, handshake "* ]]
	wait_bg "$LISTENER_PID"
	grep -q " is $CLIENT_TOKEN (suite x25519, fingerprint $client_fp, handshake " listener.err
}

@test "fingerprints: in the unknown server and unknown client messages" {
	local server_fp client_fp
	server_fp=$("$SEALCAT" pubkey -F -i "$SERVER_ID")
	client_fp=$("$SEALCAT" pubkey -F -i "$CLIENT_ID")
	start_listener --allow "$SERVER_TOKEN"
	run connect_io /dev/null out
	assert_status 1
	assert_one_line_error "^sealcat: unknown server 127\.0\.0\.1:$PORT with key ${SERVER_TOKEN//+/\\+} \(fingerprint $server_fp\) — if that is the right key, run: sealcat connect --peer "
	run connect_io /dev/null out --peer "$SERVER_TOKEN"
	wait_for_line listener.err "^sealcat: client key ${CLIENT_TOKEN//+/\\+} \(fingerprint $client_fp\) is not authorized"
}

# ---------------------------------------------------------------- names

@test "names: an authorized_peers comment names the client in -v and SEALCAT_PEER_NAME" {
	"$SEALCAT" peers allow "$CLIENT_TOKEN" alice@laptop 2>/dev/null
	start_listener -e 'printf "%s|%s" "$SEALCAT_PEER_NAME" "$SEALCAT_PEER"'
	run connect_io /dev/null out --peer "$SERVER_TOKEN"
	assert_status 0
	[ "$(cat out)" = "alice@laptop|$CLIENT_TOKEN" ]
	wait_bg "$LISTENER_PID"
	grep -qE "^sealcat: 127\.0\.0\.1:[0-9]+ is alice@laptop \(named in $AP\)$" listener.err
}

@test "names: a client allowed by --allow alone has no SEALCAT_PEER_NAME" {
	export SEALCAT_PEER_NAME=stale
	start_listener --allow "$CLIENT_TOKEN" -e 'printf "[%s]" "${SEALCAT_PEER_NAME-unset}"'
	run connect_io /dev/null out --peer "$SERVER_TOKEN"
	assert_status 0
	[ "$(cat out)" = "[unset]" ]
	wait_bg "$LISTENER_PID"
	! grep -q "named in" listener.err
}

# ---------------------------------------------------------------- known_peers mistakes

@test "known_peers: a bad line is reported with file:line and skipped; other hosts still work" {
	start_listener --allow "$CLIENT_TOKEN"
	printf 'broken:1 x25519:nope\n127.0.0.1:%s %s\njunk\n' "$PORT" "$SERVER_TOKEN" >"$KP"
	run connect_io /dev/null out
	assert_status 0
	[ "$output" = "sealcat: warning: $KP:1: not 'HOST:PORT TOKEN' with a valid token — line ignored, so broken:1 counts as unknown; fix it, or remove it with: sealcat peers forget broken:1
sealcat: warning: $KP:3: not 'HOST:PORT TOKEN' with a valid token — line ignored, so junk counts as unknown; fix it, or remove it with: sealcat peers forget junk" ]
}

@test "known_peers: the host of a bad line counts as unknown, refused without --trust-new" {
	start_listener --allow "$CLIENT_TOKEN" -k
	printf '127.0.0.1:%s x25519:nope\n' "$PORT" >"$KP"
	run connect_io /dev/null out
	assert_status 1
	[[ ${lines[0]} == "sealcat: warning: $KP:1: not 'HOST:PORT TOKEN' with a valid token — line ignored, so 127.0.0.1:$PORT counts as unknown; "* ]]
	[[ ${lines[1]} == "sealcat: unknown server 127.0.0.1:$PORT with key $SERVER_TOKEN (fingerprint "* ]]
	[ "${#lines[@]}" -eq 2 ]
	run connect_io /dev/null out --trust-new
	assert_status 0
	grep -qx "127.0.0.1:$PORT $SERVER_TOKEN" "$KP"
}

@test "known_peers: a bad file is reported before connecting, exit 2, even with the server down" {
	printf 'h:1 %s\n' "$SERVER_TOKEN" >"$KP"
	chmod 620 "$KP"
	PORT=1
	run connect_io /dev/null out
	assert_status 2
	assert_one_line_error "^sealcat: $KP: writable by others, who could make sealcat trust any key — run chmod go-w $KP$"
	chmod 600 "$KP"
	printf 'h:1 \001\n' >"$KP"
	run connect_io /dev/null out
	assert_status 1
	[ "${lines[0]}" = "sealcat: warning: $KP:1: binary data or control characters — line ignored, so the server it names counts as unknown; fix or remove the line" ]
	[[ ${lines[1]} == "sealcat: cannot connect to 127.0.0.1:1: "* ]]
	[ "${#lines[@]}" -eq 2 ]
}

@test "known_peers: a binary line and an overlong line are skipped with file:line; other hosts still work" {
	start_listener --allow "$CLIENT_TOKEN" -k
	{
		printf 'a:1 \000\377binary\001\n'
		printf '127.0.0.1:%s %s\n' "$PORT" "$SERVER_TOKEN"
		printf 'b:1 %s\n' "$(head -c 2000 /dev/zero | tr '\0' x)"
		printf '# fine\n'
	} >"$KP"
	run connect_io /dev/null out
	assert_status 0
	[ "$output" = "sealcat: warning: $KP:1: binary data or control characters — line ignored, so the server it names counts as unknown; fix or remove the line
sealcat: warning: $KP:3: line longer than 1024 characters — line ignored, so the server it names counts as unknown; fix or remove the line" ]
	# The host on such a line is unknown: refused, then recorded with --trust-new.
	printf '127.0.0.1:%s %s\001\n' "$PORT" "$SERVER_TOKEN" >"$KP"
	run connect_io /dev/null out
	assert_status 1
	[[ ${lines[0]} == "sealcat: warning: $KP:1: binary data or control characters — line ignored, "* ]]
	[[ ${lines[1]} == "sealcat: unknown server 127.0.0.1:$PORT with key $SERVER_TOKEN (fingerprint "* ]]
	[ "${#lines[@]}" -eq 2 ]
	run connect_io /dev/null out --trust-new
	assert_status 0
	grep -qx "127.0.0.1:$PORT $SERVER_TOKEN" "$KP"
}

@test "authorized_peers still fails closed: a bad line stops listen, exit 2" {
	printf '%s ok\nx25519:nope\n' "$CLIENT_TOKEN" >"$AP"
	run timeout 10 "$SEALCAT" listen -i "$SERVER_ID" 127.0.0.1 0
	assert_status 2
	assert_one_line_error "^sealcat: $AP:2: malformed x25519 key "
}

@test "authorized_peers still fails closed on a binary or an overlong line, exit 2" {
	printf '%s ok\n\001\n' "$CLIENT_TOKEN" >"$AP"
	run timeout 10 "$SEALCAT" listen -i "$SERVER_ID" 127.0.0.1 0
	assert_status 2
	assert_one_line_error "^sealcat: $AP:2: binary data or control characters — this is not a trust file$"
	{
		printf '%s ok\n' "$CLIENT_TOKEN"
		head -c 2000 /dev/zero | tr '\0' x
		printf '\n'
	} >"$AP"
	run timeout 10 "$SEALCAT" listen -i "$SERVER_ID" 127.0.0.1 0
	assert_status 2
	assert_one_line_error "^sealcat: $AP:2: line longer than 1024 characters — shorten it$"
}
