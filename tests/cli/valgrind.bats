#!/usr/bin/env bats
# valgrind.bats - real transfers with both ends under valgrind's memcheck:
# no invalid access, no use of uninitialised memory, no definite or
# indirect leak, on the success path and on a refusal, for both suites and
# for the child-per-connection listener.
#
# Skipped (saying why) when valgrind is missing or the binary was built
# with AddressSanitizer, which valgrind cannot run; the plain build under
# `make check` runs it, and ./bootstrap installs valgrind.

load helpers

# Memcheck's verdict is its exit status: 99 for any error, definite and
# indirect leaks included.  Still-reachable blocks (libsodium's and the C
# library's one-time allocations) are not leaks.
VG_ERROR=99

setup() {
	common_setup
	command -v valgrind >/dev/null 2>&1 ||
	    skip "valgrind is not installed — ./bootstrap installs it"
	if grep -q __asan_init "$SEALCAT"; then
		skip "this sealcat is built with AddressSanitizer, which valgrind cannot run — the plain build runs this test"
	fi
}

teardown() {
	pipe_teardown
}

VG_FLAGS=(--leak-check=full --errors-for-leak-kinds=definite,indirect
    --error-exitcode="$VG_ERROR" --track-origins=yes)

# assert_clean NAME [COUNT]: the memcheck reports of NAME (one per process:
# forked children get their own) say "0 errors", and there are COUNT
# (default 1) such reports.  A process that exec()s (the --exec child on
# its way to /bin/sh) leaves a report with only memcheck's header; any
# other line there fails too.
assert_clean() {
	local f clean=0
	for f in "$BATS_TEST_TMPDIR/$1".*.vg; do
		[ -e "$f" ] || continue
		if grep -q 'ERROR SUMMARY: 0 errors' "$f"; then
			clean=$((clean + 1))
		elif grep -Ev '^==[0-9]+== ?($|Memcheck, |Copyright |Using Valgrind|Command: |Parent PID: )' "$f" |
		    grep -q .; then
			echo "memcheck found errors in $1 ($f):" >&2
			cat "$f" >&2
			return 1
		fi
	done
	if [ "$clean" -ne "${2:-1}" ]; then
		echo "expected ${2:-1} clean memcheck reports for $1," \
		    "found $clean" >&2
		cat "$BATS_TEST_TMPDIR/$1".*.vg >&2
		return 1
	fi
}

# vg_listener ARGS...: like start_listener, under memcheck.
vg_listener() {
	start_bg listener "${LISTEN_IN:-/dev/null}" valgrind "${VG_FLAGS[@]}" \
	    --log-file="$BATS_TEST_TMPDIR/listener.%p.vg" \
	    "$SEALCAT" listen -v -w 60 -i "$SERVER_ID" "$@" 127.0.0.1 0
	LISTENER_PID=$BG_PID
	wait_listening listener
}

# vg_connect IN OUT ARGS...: like connect_io, under memcheck.
vg_connect() {
	local in=$1 out=$2
	shift 2
	timeout "$WATCHDOG" valgrind "${VG_FLAGS[@]}" \
	    --log-file="$BATS_TEST_TMPDIR/client.%p.vg" \
	    "$SEALCAT" connect -w 60 -i "$CLIENT_ID" "$@" 127.0.0.1 "$PORT" \
	    <"$in" >"$out"
}

# transfer SUITE: 256 KiB each way at once, both ends under memcheck.
transfer() {
	make_identities "$1"
	random_file to_client 262144
	random_file to_server 262144
	LISTEN_IN=to_client vg_listener --allow "$CLIENT_TOKEN"
	run vg_connect to_server client.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file to_server listener.out
	assert_same_file to_client client.out
	assert_clean listener
	assert_clean client
}

@test "memcheck: an x25519 transfer both ways, no errors or leaks on either end" {
	transfer x25519
}

@test "memcheck: a p256 transfer both ways, no errors or leaks on either end" {
	transfer p256
}

@test "memcheck: a refused client, then a served one, no errors or leaks on either end" {
	make_identities
	local allowed=$CLIENT_ID
	CLIENT_ID=$BATS_TEST_TMPDIR/stranger
	"$SEALCAT" keygen -o "$CLIENT_ID" >/dev/null
	vg_listener --allow "$CLIENT_TOKEN"
	printf 'secret' >payload
	run vg_connect payload client.out --peer "$SERVER_TOKEN"
	assert_status 1
	[[ $output == *"not authorized"* ]]
	[ ! -s listener.out ]
	[ ! -s client.out ]
	# A one-shot listener goes on waiting after a refusal.
	CLIENT_ID=$allowed
	run vg_connect payload client.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = secret ]
	assert_clean listener
	assert_clean client 2
}

@test "memcheck: listen -k --exec, a child per connection, no errors or leaks in any" {
	make_identities
	vg_listener -k --exec cat --allow "$CLIENT_TOKEN"
	random_file in1 100000
	random_file in2 5000
	run vg_connect in1 out1 --peer "$SERVER_TOKEN"
	assert_status 0
	run vg_connect in2 out2 --peer "$SERVER_TOKEN"
	assert_status 0
	assert_same_file in1 out1
	assert_same_file in2 out2
	# The parent serves until stopped; each child exited on its own, and
	# memcheck reported when it did: three reports.
	kill "$LISTENER_PID"
	wait_bg "$LISTENER_PID"
	assert_clean listener 3
}

@test "memcheck: keys protected by a passphrase, unlocked and refused, no errors or leaks" {
	printf 'sesame\n' >pass
	printf 'not it\n' >wrong
	chmod 600 pass wrong
	SERVER_ID=$BATS_TEST_TMPDIR/server
	CLIENT_ID=$BATS_TEST_TMPDIR/client
	SERVER_TOKEN=$("$SEALCAT" keygen --suite p256 --passphrase-file pass \
	    --kdf-memory 1 -o "$SERVER_ID")
	CLIENT_TOKEN=$("$SEALCAT" keygen --suite p256 --passphrase-file pass \
	    --kdf-memory 1 -o "$CLIENT_ID")
	run timeout "$WATCHDOG" valgrind "${VG_FLAGS[@]}" \
	    --log-file="$BATS_TEST_TMPDIR/wrong.%p.vg" \
	    "$SEALCAT" listen -i "$SERVER_ID" --passphrase-file wrong \
	    --allow-any 127.0.0.1 0
	assert_status 1
	[[ $output == *"wrong passphrase"* ]]
	assert_clean wrong
	vg_listener --passphrase-file pass --allow "$CLIENT_TOKEN"
	random_file data 10000
	run vg_connect data client.out --passphrase-file pass \
	    --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file data listener.out
	assert_clean listener
	assert_clean client
}

@test "memcheck: --progress and --size on both ends, connect through a SOCKS5 proxy with a password" {
	make_identities
	start_bg socks /dev/null "${PYTHON3:-python3}" \
	    "$SEALCAT_SRCDIR/tests/cli/socks5_server.py" "$BATS_TEST_TMPDIR/socks.log" \
	    bob 'hunter2'
	local listen_port
	vg_listener --allow "$CLIENT_TOKEN" --progress --size 200000
	listen_port=$PORT
	wait_listening socks
	local socks_port=$PORT
	PORT=$listen_port
	random_file data 200000
	run vg_connect data client.out --peer "$SERVER_TOKEN" --progress \
	    --proxy "socks5://bob:hunter2@127.0.0.1:$socks_port"
	assert_status 0
	[[ $output == *"sent 195 KiB, received 0 B, "*" average, "*", 100%"* ]]
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file data listener.out
	grep -q '^auth bob ok$' socks.log
	assert_clean listener
	assert_clean client
}

# vg_via_connect RELAY IN OUT: connect --via RELAY under memcheck.
vg_via_connect() {
	timeout "$WATCHDOG" valgrind "${VG_FLAGS[@]}" \
	    --log-file="$BATS_TEST_TMPDIR/client.%p.vg" \
	    "$SEALCAT" connect -i "$CLIENT_ID" --peer "$SERVER_TOKEN" \
	    --via "$1" <"$2" >"$3"
}

@test "memcheck: sealcat relay, listen --via and connect --via, no errors or leaks in any" {
	make_identities
	start_bg relay /dev/null valgrind "${VG_FLAGS[@]}" \
	    --log-file="$BATS_TEST_TMPDIR/relay.%p.vg" \
	    "$SEALCAT" relay -v 127.0.0.1 0
	local relay_pid=$BG_PID
	wait_listening relay
	local relay=127.0.0.1:$PORT
	random_file to_client 100000
	random_file to_server 100001
	start_bg listener to_client valgrind "${VG_FLAGS[@]}" \
	    --log-file="$BATS_TEST_TMPDIR/listener.%p.vg" \
	    "$SEALCAT" listen -v -i "$SERVER_ID" --allow "$CLIENT_TOKEN" \
	    --via "$relay"
	LISTENER_PID=$BG_PID
	wait_for_line relay.err 'waits for a connector'
	run vg_via_connect "$relay" to_server client.out
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file to_server listener.out
	assert_same_file to_client client.out
	wait_for_line relay.err 'ended after .* done$'
	kill -TERM "$(pgrep -P "$relay_pid" -f 'relay -v' | head -1)" 2>/dev/null ||
	    kill -TERM "$relay_pid"
	wait_bg "$relay_pid"
	assert_clean relay
	assert_clean listener
	assert_clean client
}
