#!/usr/bin/env bats
# relay_robust.bats - the relay when things go wrong around it: connections
# reset while a side is stalled (no busy loop), a peer that never confirms
# our stream (DONE), shared standard input and output (flags never changed, a paused
# terminal stalls nothing else, 2>&1 keeps the last message), and what was
# typed ahead at a terminal.  Real processes on 127.0.0.1; rst_proxy.py
# ends connections, stdio_check.py holds the descriptors it checks.

load helpers

PROXY=$SEALCAT_SRCDIR/tests/cli/rst_proxy.py
CHECK=$SEALCAT_SRCDIR/tests/cli/stdio_check.py

setup() {
	common_setup
	make_identities
}

teardown() {
	pipe_teardown
}

# run_bg NAME IN OUT CMD...: CMD in the background with stdin from IN,
# stdout to OUT (which may be a FIFO) and stderr to NAME.err; no watchdog,
# so BG_PID is CMD itself (teardown kills it).
run_bg() {
	local name=$1 in=$2 out=$3
	shift 3
	: >"$BATS_TEST_TMPDIR/$name.err"
	"$@" <"$in" >"$out" 2>"$BATS_TEST_TMPDIR/$name.err" 3>&- &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# stalled_reader FIFO: makes FIFO and holds it open for reading without
# ever reading it: a paused consumer.
stalled_reader() {
	mkfifo "$1"
	sleep "$WATCHDOG" <"$1" 3>&- &
	BG_PIDS+=("$!")
}

# start_proxy ARGS...: rst_proxy.py between the client and the listener on
# $PORT; sets PROXY_PORT.
start_proxy() {
	local listener_port=$PORT
	start_bg proxy /dev/null "${PYTHON3:-python3}" "$PROXY" "$PORT" "$@"
	wait_listening proxy
	PROXY_PORT=$PORT
	PORT=$listener_port
}

# cpu_ticks PID: user + system CPU time PID has used, in clock ticks.
cpu_ticks() {
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# wait_exit PID SECONDS: waits at most SECONDS for PID to end; sets status.
wait_exit() {
	local i
	for ((i = 0; i < $2 * 100; i++)); do
		if ! kill -0 "$1" 2>/dev/null; then
			wait_bg "$1"
			return 0
		fi
		sleep 0.01
	done
	echo "process $1 still running after $2 s" >&2
	return 1
}

@test "a reset while both sides are stalled: the relay waits without spinning" {
	random_file big 8000000
	stalled_reader listener.fifo
	stalled_reader client.fifo
	run_bg listener big listener.fifo "$SEALCAT" listen -v -i "$SERVER_ID" \
	    --allow "$CLIENT_TOKEN" 127.0.0.1 0
	wait_listening listener
	start_proxy reset-when-stuck
	run_bg client big client.fifo "$SEALCAT" connect -i "$CLIENT_ID" \
	    --peer "$SERVER_TOKEN" 127.0.0.1 "$PROXY_PORT"
	client=$BG_PID
	wait_for_line proxy.err '^reset$'
	# A busy loop uses ~200 ticks in 2 s; a relay waiting for its
	# reader, none.
	before=$(cpu_ticks "$client")
	sleep 2
	after=$(cpu_ticks "$client")
	echo "client used $((after - before)) ticks in 2 s" >&2
	[ "$((after - before))" -lt 30 ]
	run kill -0 "$client"
	assert_status 0
}

@test "a reset after the peer's CLOSE, our input idle: fails at once" {
	hold_open client.in never
	mkfifo client.fifo
	cat client.fifo >client.out &
	reader=$!
	BG_PIDS+=("$reader")
	printf 'from the listener' >listener.in
	LISTEN_IN=listener.in start_listener --allow "$CLIENT_TOKEN"
	start_proxy reset-on reset.flag
	run_bg client client.in client.fifo "$SEALCAT" connect \
	    -i "$CLIENT_ID" --peer "$SERVER_TOKEN" 127.0.0.1 "$PROXY_PORT"
	client=$BG_PID
	# The reader ends when the client closes its output, which it does
	# once the listener's stream has ended with CLOSE.
	wait_exit "$reader" 10
	[ "$(cat client.out)" = "from the listener" ]
	touch reset.flag
	wait_for_line proxy.err '^reset$'
	wait_exit "$client" 10
	assert_status 1
	output=$(cat client.err)
	assert_one_line_error "^sealcat: the peer did not confirm it received everything: 127\.0\.0\.1:$PROXY_PORT reset the connection — it may not have all of our stream$"
}

@test "--idle expiring while waiting for the peer's confirmation is a failure" {
	# The listener cannot deliver (its reader never reads), so it never
	# sends DONE: all the client can do is give up, with --idle.
	random_file client.in 300000
	stalled_reader listener.fifo
	reader=${BG_PIDS[-1]}
	run_bg listener /dev/null listener.fifo "$SEALCAT" listen -v \
	    -i "$SERVER_ID" --allow "$CLIENT_TOKEN" 127.0.0.1 0
	listener=$BG_PID
	wait_listening listener
	run timeout "$WATCHDOG" "$SEALCAT" connect -i "$CLIENT_ID" \
	    --peer "$SERVER_TOKEN" --idle 2 127.0.0.1 "$PORT" <client.in
	assert_status 1
	assert_one_line_error "^sealcat: no traffic with 127\.0\.0\.1:$PORT for 2 s \(--idle\) — closing the connection$"
	# Once its reader goes, the listener fails with its output.
	kill "$reader"
	wait_exit "$listener" 10
	assert_status 1
	assert_line_in listener.err "^sealcat: cannot write standard output"
}

# flags_test KIND: stdio_check.py flags KIND around a client whose
# listener sends hello.
flags_test() {
	printf 'hello' >listener.in
	LISTEN_IN=listener.in start_listener --allow "$CLIENT_TOKEN"
	run "${PYTHON3:-python3}" "$CHECK" flags "$1" -- timeout "$WATCHDOG" \
	    "$SEALCAT" connect -i "$CLIENT_ID" --peer "$SERVER_TOKEN" \
	    127.0.0.1 "$PORT"
	assert_status 0
	[ "$output" = "during: stdin=blocking stdout=blocking
after: stdin=blocking stdout=blocking
exit 0" ]
	wait_bg "$LISTENER_PID"
	assert_status 0
}

@test "stdin and stdout pipes shared with others: their flags never change" {
	flags_test pipe
}

@test "stdin and stdout a shared socket: its flags never change" {
	flags_test socket
}

@test "stdin and stdout a terminal: its flags never change" {
	flags_test pty
}

@test "stdout and stderr one full pipe (2>&1): the last message arrives" {
	random_file listener.in 300000
	LISTEN_IN=listener.in start_listener --allow "$CLIENT_TOKEN"
	run "${PYTHON3:-python3}" "$CHECK" errline 4 -- timeout "$WATCHDOG" \
	    "$SEALCAT" connect -i "$CLIENT_ID" --peer "$SERVER_TOKEN" \
	    --idle 1 127.0.0.1 "$PORT"
	assert_status 0
	[ "${lines[0]}" = "exit 1" ]
	[[ ${lines[1]} =~ ^"sealcat: no traffic with 127.0.0.1:$PORT for 1 s (--idle)" ]]
}

@test "a paused terminal on stdout does not stop --idle" {
	random_file listener.in 1000000
	LISTEN_IN=listener.in start_listener --allow "$CLIENT_TOKEN"
	run "${PYTHON3:-python3}" "$CHECK" paused-tty 15 -- \
	    "$SEALCAT" connect -i "$CLIENT_ID" --peer "$SERVER_TOKEN" \
	    --idle 2 127.0.0.1 "$PORT"
	assert_status 0
	echo "$output" >&2
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[0]} =~ ^"sealcat: no traffic with 127.0.0.1:$PORT for 2 s (--idle)" ]]
	[ "${lines[1]}" = "exit 1" ]
}

@test "what was typed ahead at a terminal goes to the peer, not the shell" {
	start_bg listener /dev/null "${PYTHON3:-python3}" "$CHECK" typeahead \
	    $'echo INJECTED-RAN\n' 20 -- "$SEALCAT" listen -v -i "$SERVER_ID" \
	    --allow "$CLIENT_TOKEN" 127.0.0.1 0
	LISTENER_PID=$BG_PID
	wait_listening listener
	run bash -c 'printf hi | "$@"' _ timeout "$WATCHDOG" "$SEALCAT" \
	    connect -i "$CLIENT_ID" --peer "$SERVER_TOKEN" 127.0.0.1 "$PORT"
	assert_status 0
	[ "$output" = "echo INJECTED-RAN" ]
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = "hi" ]
	assert_line_in listener.err '^exit 0$'
	assert_line_in listener.err '^left for the shell: 0 bytes$'
}
