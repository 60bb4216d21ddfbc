#!/usr/bin/env bats
# code.bats - code mode on loopback: a one-time code instead of tokens
# (CPace, then Noise XXpsk0): transfers, wrong codes and --code-tries,
# typos caught before connecting, key mode against code mode, the
# verifier, --exec's environment, and the usage errors.

load helpers

CODE=7-sapphire-clock
# Another valid code, one word different.
WRONG=7-sapphire-acid

setup() {
	common_setup
}

teardown() {
	pipe_teardown
}

# start_code_listener [ARGS...]: sealcat listen -v --code ARGS on
# 127.0.0.1 port 0 with SEALCAT_CODE=$CODE, stdin from
# ${LISTEN_IN:-/dev/null}; sets LISTENER_PID and PORT.
start_code_listener() {
	SEALCAT_CODE=$CODE start_bg listener "${LISTEN_IN:-/dev/null}" \
	    "$SEALCAT" listen -v --code "$@" 127.0.0.1 0
	LISTENER_PID=$BG_PID
	wait_listening listener
}

# code_connect IN OUT CODE [ARGS...]: sealcat connect --code CODE ARGS to
# 127.0.0.1 $PORT, for `run` (output: the client's stderr).
code_connect() {
	local in=$1 out=$2 code=$3
	shift 3
	timeout "$WATCHDOG" "$SEALCAT" connect --code "$code" "$@" \
	    127.0.0.1 "$PORT" <"$in" >"$out"
}

@test "code: 1 MiB both ways at once with one-time keys, intact" {
	random_file to_client $((1024 * 1024))
	random_file to_server $((1024 * 1024))
	LISTEN_IN=to_client start_code_listener
	run code_connect to_server client.out "$CODE"
	assert_status 0
	[ -z "$output" ]
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file to_server listener.out
	assert_same_file to_client client.out
}

@test "code: listener to connector with key files, forgiving spelling" {
	make_identities
	random_file data 65536
	LISTEN_IN=data start_code_listener -i "$SERVER_ID"
	run code_connect /dev/null client.out " 07 SAPPH--clo " -i "$CLIENT_ID"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file data client.out
	[ ! -s listener.out ]
	# The listener saw the client's persistent key.
	grep -qF "is $CLIENT_TOKEN " listener.err
}

@test "code: a generated code goes to stderr, never stdout, and works" {
	random_file data 4096
	start_bg listener /dev/null "$SEALCAT" listen -v --code \
	    --code-words 4 127.0.0.1 0
	LISTENER_PID=$BG_PID
	wait_listening listener
	wait_for_line listener.err '^sealcat: code [0-9]+(-[a-z]+){4}$'
	code=$(sed -n 's/^sealcat: code //p' listener.err)
	assert_line_in listener.err \
	    "^sealcat: on the other machine: sealcat connect --code $code HOST $PORT\$"
	run code_connect data client.out "$code"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file data listener.out
	[ ! -s client.out ]
}

@test "code: connect --code - reads SEALCAT_CODE" {
	printf 'hello' >data
	start_code_listener
	SEALCAT_CODE=$CODE run code_connect data client.out -
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = hello ]
}

@test "code: a wrong code fails on both sides with no data; --code-tries voids it" {
	printf 'secret' >data
	LISTEN_IN=data start_code_listener --code-tries 2
	run code_connect data client.out "$WRONG"
	assert_status 1
	assert_one_line_error 'wrong code'
	[ ! -s client.out ]
	wait_for_line listener.err 'wrong code'
	wait_for_line listener.err '1 of 2 tries left'
	# The listener survived the first wrong try.
	kill -0 "$LISTENER_PID"
	run code_connect data client.out "$WRONG"
	assert_status 1
	assert_one_line_error 'wrong code'
	[ ! -s client.out ]
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_line_in listener.err 'the code is void after 2 failed tries'
	[ ! -s listener.out ]
}

@test "code: after a wrong try the right code still works" {
	printf 'payload' >data
	start_code_listener
	run code_connect /dev/null client.out "$WRONG"
	assert_status 1
	run code_connect data client.out "$CODE"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = payload ]
}

@test "code: a typo is rejected with exit 2 before connecting" {
	start_code_listener
	run code_connect /dev/null client.out 7-sapphire-clokc
	assert_status 2
	assert_one_line_error "bad code: 'clokc' is not a word"
	run code_connect /dev/null client.out 7-sapphire
	assert_status 2
	run code_connect /dev/null client.out 100-sapphire-clock
	assert_status 2
	# No connection was made: the listener saw nobody, and the right code
	# still has all its tries.
	run grep -c 'connection from' listener.err
	assert_status 1
	printf 'x' >one
	run code_connect one client.out "$CODE"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = x ]
}

@test "code: a key-mode client is told the listener expects a code" {
	make_identities
	start_code_listener
	run connect_io /dev/null client.out --trust-new
	assert_status 1
	assert_one_line_error 'the listener expects a code — use --code'
	wait_for_line listener.err 'the client does not use a code'
	# Not a try: the listener keeps waiting.
	kill -0 "$LISTENER_PID"
	run code_connect /dev/null client.out "$CODE"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
}

@test "code: a code client is told the listener does not use a code" {
	make_identities
	start_listener --allow-any
	run code_connect /dev/null client.out "$CODE"
	assert_status 1
	assert_one_line_error 'the listener does not use a code — drop --code'
	wait_for_line listener.err 'the client uses a code'
	[ ! -s client.out ]
	[ ! -s listener.out ]
}

@test "code: -v prints the same verifier on both sides" {
	start_code_listener
	run code_connect /dev/null client.out "$CODE" -v
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	a=$(printf '%s\n' "$output" | sed -n 's/^sealcat: verifier \([0-9a-f ]*\) —.*/\1/p')
	b=$(sed -n 's/^sealcat: verifier \([0-9a-f ]*\) —.*/\1/p' listener.err)
	[[ $a =~ ^[0-9a-f]{4}( [0-9a-f]{4}){3}$ ]]
	[ "$a" = "$b" ]
}

@test "code: --peer is enforced too: a wrong pin aborts before message 3" {
	make_identities
	other=$("$SEALCAT" keygen -o other)
	start_code_listener -i "$SERVER_ID"
	printf 'secret' >data
	run code_connect data client.out "$CODE" --peer "$other"
	assert_status 1
	[ ! -s client.out ]
	# The code verified, so it is used up: the listener gives up.
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_line_in listener.err 'the code is used up'
	[ ! -s listener.out ]
}

@test "code: --peer with the right key under the right code works" {
	make_identities
	printf 'x' >one
	start_code_listener -i "$SERVER_ID"
	run code_connect one client.out "$CODE" --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = x ]
}

@test "code: --exec gets SEALCAT_PEER_AUTH=code and no SEALCAT_CODE" {
	start_code_listener -e 'printf "%s|%s" "$SEALCAT_PEER_AUTH" "${SEALCAT_CODE-unset}"'
	run code_connect /dev/null client.out "$CODE"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat client.out)" = "code|unset" ]
}

@test "code: usage errors" {
	run "$SEALCAT" listen --code --suite p256 0
	assert_status 2
	assert_one_line_error 'no code mode'
	run "$SEALCAT" connect --code "$CODE" --suite p256 127.0.0.1 9
	assert_status 2
	assert_one_line_error 'no code mode'
	run "$SEALCAT" listen --code -k 0
	assert_status 2
	assert_one_line_error '--code serves one session'
	run "$SEALCAT" listen --code-words 3 0
	assert_status 2
	run "$SEALCAT" listen --code --code-words 7 0
	assert_status 2
	run "$SEALCAT" listen --code --code-tries 0 0
	assert_status 2
	run "$SEALCAT" connect --code "$CODE" --trust-new 127.0.0.1 9
	assert_status 2
}

@test "code: --pair records both keys, and the next connection needs no code" {
	make_identities
	start_code_listener -i "$SERVER_ID" --pair
	run code_connect /dev/null client.out "$CODE" -i "$CLIENT_ID" --pair
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	grep -qxF "127.0.0.1:$PORT $SERVER_TOKEN" "$XDG_CONFIG_HOME/sealcat/known_peers"
	run grep -F "$CLIENT_TOKEN paired by code, " \
	    "$XDG_CONFIG_HOME/sealcat/authorized_peers"
	assert_status 0
	[[ $output == *", 127.0.0.1:"* ]]
	# Key mode on the same port: no code, no --peer, no --allow.
	printf 'again' >data
	start_bg listener2 /dev/null "$SEALCAT" listen -v -i "$SERVER_ID" \
	    127.0.0.1 "$PORT"
	LISTENER_PID=$BG_PID
	wait_listening listener2
	run connect_io data client.out
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener2.out)" = again ]
}

@test "code: --pair with a one-time key fails clearly" {
	make_identities
	# This side has no key file: refused before connecting.
	start_code_listener -i "$SERVER_ID"
	run code_connect /dev/null client.out "$CODE" --pair
	assert_status 2
	assert_one_line_error '--pair needs a key file'
	# The listener has a one-time key: the client refuses to record it.
	kill "$LISTENER_PID"
	wait_bg "$LISTENER_PID"
	start_code_listener
	run code_connect /dev/null client.out "$CODE" -i "$CLIENT_ID" --pair
	assert_status 1
	[[ $output == *"it uses a one-time key"* ]]
	wait_bg "$LISTENER_PID"
	assert_status 1
	[ ! -e "$XDG_CONFIG_HOME/sealcat/known_peers" ] ||
	    [ ! -s "$XDG_CONFIG_HOME/sealcat/known_peers" ]
}

@test "code: --pair never replaces another known_peers key silently" {
	make_identities
	other=$("$SEALCAT" keygen -o other)
	start_code_listener -i "$SERVER_ID"
	mkdir -p "$XDG_CONFIG_HOME/sealcat"
	printf '127.0.0.1:%s %s\n' "$PORT" "$other" \
	    >"$XDG_CONFIG_HOME/sealcat/known_peers"
	cp "$XDG_CONFIG_HOME/sealcat/known_peers" before
	run code_connect /dev/null client.out "$CODE" -i "$CLIENT_ID" --pair
	assert_status 1
	[[ $output == *WARNING* ]]
	cmp before "$XDG_CONFIG_HOME/sealcat/known_peers"
	wait_bg "$LISTENER_PID"
	assert_status 1
}

# mitm_case DIR OFFSET: a man in the middle flips a bit of byte OFFSET
# going DIR; the client fails and no byte reaches either output.
mitm_case() {
	printf 'secret' >data
	LISTEN_IN=data start_code_listener --code-tries 1 -w 5
	start_mitm flip "$2" --dir "$1"
	run timeout "$WATCHDOG" "$SEALCAT" connect -w 5 --code "$CODE" \
	    127.0.0.1 "$MITM_PORT" <data >client.out
	[ "$status" -eq 1 ] || {
		echo "flip $1 $2: client exited $status: $output" >&2
		return 1
	}
	[ ! -s client.out ]
	kill "$LISTENER_PID" 2>/dev/null || true
	wait_bg "$LISTENER_PID"
	[ "$status" -ne 0 ]
	[ ! -s listener.out ]
}

# Offsets: L is 54 bytes, A's length 2 and body 48, B's the same 2 + 32,
# message 1 follows A.
@test "code: a flipped bit of L never yields data" {
	mitm_case c2s 3
}

@test "code: a flipped bit of A never yields data" {
	mitm_case c2s 80
}

@test "code: a flipped bit of B never yields data" {
	mitm_case s2c 70
}

@test "code: a flipped bit of message 1 never yields data" {
	mitm_case c2s 120
}

@test "code: an invalid Ya (the identity) gets no B" {
	start_code_listener
	# L, then A = a sid and Ya = 32 zero bytes: the identity.
	"${PYTHON3:-python3}" - "$PORT" >reply <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"SEALCAT/2 CPace+Noise_XXpsk0_25519_ChaChaPoly_BLAKE2b\n"
          + b"\x00\x30" + b"\x01" * 16 + b"\x00" * 32)
got = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    got += b
sys.stdout.buffer.write(got)
PY
	# Only our line came back: no B.
	[ "$(cat reply)" = "SEALCAT/2 CPace+Noise_XXpsk0_25519_ChaChaPoly_BLAKE2b" ]
	wait_for_line listener.err 'code message is invalid \(not counted'
	# Not a try: the code still works.
	run code_connect /dev/null client.out "$CODE"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
}

@test "code: connect --code - without SEALCAT_CODE asks on /dev/tty" {
	printf 'typed' >data
	start_code_listener
	run timeout "$WATCHDOG" "${PYTHON3:-python3}" \
	    "$SEALCAT_SRCDIR/tests/cli/pty_run.py" -e 'code: ' \
	    -s '7 sapphire clock' -- "$SEALCAT" connect --code - 127.0.0.1 \
	    "$PORT" <data >client.out
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = typed ]
}

@test "code: -q still prints a generated code, which alone is on stderr" {
	start_bg listener /dev/null "$SEALCAT" listen -q --code 127.0.0.1 0
	LISTENER_PID=$BG_PID
	wait_for_line listener.err '^sealcat: code [0-9]+-[a-z]+-[a-z]+$'
	[ "$(wc -l <listener.err)" -eq 1 ]
	[ ! -s listener.out ]
}

@test "code: --forward relays a code-authenticated client to a service" {
	start_bg echo /dev/null "${PYTHON3:-python3}" \
	    "$SEALCAT_SRCDIR/tests/cli/echo_server.py"
	wait_listening echo
	echo_port=$PORT
	start_code_listener --forward "127.0.0.1:$echo_port"
	random_file data 10000
	run code_connect data client.out "$CODE"
	assert_status 0
	assert_same_file data client.out
}
