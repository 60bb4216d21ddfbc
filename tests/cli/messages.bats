#!/usr/bin/env bats
# messages.bats - the messages a new user meets on the way (issue 20):
# each one exact, with its exit status.

load helpers

setup() {
	common_setup
	make_identities
}

teardown() {
	pipe_teardown
}

@test "connect '[::1]' PORT: brackets are accepted, as known_peers writes them" {
	LISTEN_ADDR=::1 start_listener --allow "$CLIENT_TOKEN" ||
	    skip "no IPv6 loopback"
	echo hi >in
	CONNECT_ADDR='[::1]' run connect_io in out --peer "$SERVER_TOKEN"
	assert_status 0
	[ -z "$output" ]
}

@test "connect '[::1]' PORT: the known_peers entry is [::1]:PORT" {
	LISTEN_ADDR=::1 start_listener --allow "$CLIENT_TOKEN" ||
	    skip "no IPv6 loopback"
	CONNECT_ADDR='[::1]' run connect_io /dev/null out --trust-new
	assert_status 0
	[ "$(cat "$XDG_CONFIG_HOME/sealcat/known_peers")" = "[::1]:$PORT $SERVER_TOKEN" ]
}

@test "connect host:9000: give HOST and PORT as two arguments" {
	run "$SEALCAT" connect -i "$CLIENT_ID" host:9000
	assert_status 2
	[ "$output" = "sealcat: 'host:9000': give HOST and PORT as two arguments: sealcat connect host 9000 — see 'sealcat connect --help'" ]
	run "$SEALCAT" connect -i "$CLIENT_ID" '[::1]:9000'
	assert_status 2
	[ "$output" = "sealcat: '[::1]:9000': give HOST and PORT as two arguments: sealcat connect ::1 9000 — see 'sealcat connect --help'" ]
	run "$SEALCAT" connect -i "$CLIENT_ID" host
	assert_status 2
	[ "$output" = "sealcat: expected HOST PORT or unix:PATH — see 'sealcat connect --help'" ]
}

@test "-v with -q is a usage error, for listen, connect and relay" {
	run "$SEALCAT" connect -v -q -i "$CLIENT_ID" 127.0.0.1 9
	assert_status 2
	[ "$output" = "sealcat: -v and -q exclude each other — see 'sealcat connect --help'" ]
	run "$SEALCAT" listen -q -v -i "$SERVER_ID" --allow-any 127.0.0.1 0
	assert_status 2
	[ "$output" = "sealcat: -v and -q exclude each other — see 'sealcat listen --help'" ]
	run "$SEALCAT" relay -v -q 127.0.0.1 0
	assert_status 2
	[ "$output" = "sealcat: -v and -q exclude each other — see 'sealcat relay --help'" ]
}

@test "--allow \"\$(cat id.pub)\": the .pub line is accepted, its comment names the client" {
	"$SEALCAT" keygen -o alice -C alice@laptop >/dev/null
	CLIENT_ID=$BATS_TEST_TMPDIR/alice
	start_listener --allow "$(cat alice.pub)" -e 'printf %s "$SEALCAT_PEER_NAME"'
	run connect_io /dev/null out --peer "$SERVER_TOKEN"
	assert_status 0
	[ "$(cat out)" = "alice@laptop" ]
}

@test "--allow with a bad token before the comment is refused, exit 2" {
	run timeout 10 "$SEALCAT" listen -i "$SERVER_ID" --allow "x25519:abc alice" 127.0.0.1 0
	assert_status 2
	[ "$output" = "sealcat: --allow: malformed x25519 key (expected 44 base64 characters, got 3) — copy the whole token as 'sealcat pubkey' prints it" ]
}

@test "a --forward target that is down is named, not 'is the listener running?'" {
	start_listener --allow "$CLIENT_TOKEN" --forward 127.0.0.1:1
	run connect_io /dev/null out --peer "$SERVER_TOKEN"
	assert_status 1
	wait_bg "$LISTENER_PID"
	grep -qx "sealcat: cannot connect to --forward target 127.0.0.1:1: connection refused — start the service there, or fix --forward" listener.err
	! grep -q "is the listener running" listener.err
}

@test "-v: a side that has the peer's whole stream says it waits for its own input" {
	hold_open fifo "$BATS_TEST_TMPDIR/release"
	start_listener --allow "$CLIENT_TOKEN"
	start_bg client fifo "$SEALCAT" connect -v -i "$CLIENT_ID" --peer "$SERVER_TOKEN" 127.0.0.1 "$PORT"
	wait_for_line client.err "^sealcat: 127\.0\.0\.1:$PORT: its whole stream is here \(0 bytes\); waiting for our input to end — close it \(Ctrl-D\), or use --exit-with-peer not to wait$"
	touch release
	wait_bg "${BG_PID_OF[client]}"
	assert_status 0
}

# The receiver closes early: the sender reports the receiver's reason
# (man page, ENDING: "peer ERROR"), exit 1.

@test "receiver's output closed early (listen | head), its input still open: the sender reports its reason" {
	random_file data 3000000
	hold_open fifo "$BATS_TEST_TMPDIR/release"
	start_bg listener fifo bash -c \
	    '"$0" "$@" | head -c 10 >head.out; exit "${PIPESTATUS[0]}"' \
	    "$SEALCAT" listen -v -i "$SERVER_ID" --allow "$CLIENT_TOKEN" 127.0.0.1 0
	LISTENER_PID=$BG_PID
	wait_listening listener
	run connect_io data out --peer "$SERVER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: 127\.0\.0\.1:$PORT could not deliver our stream: Broken pipe — it does not have all of it$"
	touch release
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_line_in listener.err "^sealcat: cannot write standard output: it was closed before the end of the stream"
}

@test "receiver's output closed early (connect | head): the sending listener reports its reason" {
	random_file data 3000000
	LISTEN_IN=data start_listener --allow "$CLIENT_TOKEN"
	hold_open fifo "$BATS_TEST_TMPDIR/release"
	run bash -c '"$0" "$@" <fifo | head -c 10 >head.out; exit "${PIPESTATUS[0]}"' \
	    timeout "$WATCHDOG" "$SEALCAT" connect -i "$CLIENT_ID" --peer "$SERVER_TOKEN" 127.0.0.1 "$PORT"
	assert_status 1
	assert_one_line_error "^sealcat: cannot write standard output: it was closed before the end of the stream"
	touch release
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_line_in listener.err "^sealcat: 127\.0\.0\.1:[0-9]+ could not deliver our stream: Broken pipe — it does not have all of it$"
}

@test "receiver's --forward target goes away early: the sender reports the receiver's reason" {
	# More than the target's and the listener's socket buffers hold, so
	# that the target goes before the listener has written it all.
	random_file data 16000000
	# A target that reads a little and hangs up on the rest.
	start_bg target /dev/null "${PYTHON3:-python3}" -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind(("127.0.0.1", 0))
s.listen(1)
print("listening on 127.0.0.1:%d" % s.getsockname()[1], file=sys.stderr, flush=True)
c, _ = s.accept()
c.recv(100)
c.close()
s.accept()
'
	wait_listening target
	TARGET_PORT=$PORT
	start_listener --allow "$CLIENT_TOKEN" --forward "127.0.0.1:$TARGET_PORT"
	run connect_io data out --peer "$SERVER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: 127\.0\.0\.1:$PORT could not deliver our stream: (Connection reset by peer|Broken pipe) — it does not have all of it$"
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_line_in listener.err "^sealcat: cannot (read|write) the --forward target: (Connection reset by peer — it hung up before the end of the peer's stream; its own logs say why|Broken pipe — it hung up before the end of the peer's stream; its own logs say why|it was closed before the end of the stream — the reader went away, the rest was not delivered)$"
}
