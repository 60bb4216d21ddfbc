#!/usr/bin/env bats
# pipe.bats - transfers over real TCP on loopback: both suites, both ways
# at once, empty and one-byte streams, IPv6, and what -v reports.

load helpers

setup() {
	common_setup
}

teardown() {
	pipe_teardown
}

# both_ways SUITE BYTES: BYTES of random data each way at once; both ends
# exit 0 and each output has the SHA-256 of the other end's input.
both_ways() {
	make_identities "$1"
	random_file to_client "$2"
	random_file to_server "$2"
	LISTEN_IN=to_client start_listener --allow "$CLIENT_TOKEN"
	run connect_io to_server client.out --peer "$SERVER_TOKEN"
	assert_status 0
	[ -z "$output" ]
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file to_server listener.out
	assert_same_file to_client client.out
}

@test "x25519: 64 MiB both ways at once arrive intact at both ends" {
	both_ways x25519 $((64 * 1024 * 1024))
}

@test "p256: 64 MiB both ways at once arrive intact at both ends" {
	both_ways p256 $((64 * 1024 * 1024))
}

@test "empty streams both ways: both ends exit 0 with empty output" {
	make_identities
	start_listener --allow "$CLIENT_TOKEN"
	run connect_io /dev/null client.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ ! -s client.out ]
	[ ! -s listener.out ]
}

@test "a one-byte stream arrives as that byte" {
	make_identities
	printf 'x' >one
	start_listener --allow "$CLIENT_TOKEN"
	run connect_io one client.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = x ]
	[ ! -s client.out ]
}

@test "IPv6: a transfer over ::1" {
	if ! python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
		skip "no IPv6 loopback on this machine"
	fi
	make_identities
	random_file data 100000
	LISTEN_ADDR=::1 start_listener --allow "$CLIENT_TOKEN"
	assert_line_in listener.err '^sealcat: listening on \[::1\]:[0-9]+$'
	CONNECT_ADDR=::1 run connect_io data client.out -6 --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file data listener.out
	assert_line_in listener.err '^sealcat: connection from \[::1\]:[0-9]+$'
}

@test "listen without ADDRESS takes IPv4 clients on the wildcard" {
	make_identities
	printf 'hello\n' >data
	start_bg listener /dev/null "$SEALCAT" listen -v -i "$SERVER_ID" \
	    --allow "$CLIENT_TOKEN" 0
	LISTENER_PID=$BG_PID
	wait_listening listener
	run connect_io data client.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = hello ]
	assert_line_in listener.err '^sealcat: connection from 127\.0\.0\.1:[0-9]+$'
}

@test "-v reports suite, peer address and token, handshake time and totals" {
	make_identities p256
	printf '12345' >data
	start_listener --allow "$CLIENT_TOKEN"
	run connect_io data client.out -v --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	local tok_re="[A-Za-z0-9+/=]+"
	[[ $output == *"connected to 127.0.0.1:$PORT"* ]]
	[[ $output =~ "127.0.0.1:$PORT is $SERVER_TOKEN (suite p256, fingerprint "[a-z2-7-]+", handshake "[0-9.]+" ms)" ]]
	[[ $output =~ "sent 5 bytes, received 0 bytes in "[0-9.]+" s" ]]
	assert_line_in listener.err "^sealcat: 127\.0\.0\.1:[0-9]+ is p256:$tok_re \(suite p256, fingerprint [a-z2-7-]{19}, handshake [0-9.]+ ms\)$"
	grep -F -- "$CLIENT_TOKEN" listener.err >/dev/null
	assert_line_in listener.err 'sent 0 bytes, received 5 bytes in [0-9.]+ s \([0-9.]+ MB/s out, [0-9.]+ MB/s in\)$'
	# stdout carries the stream only.
	[ "$(cat listener.out)" = 12345 ]
}

@test "the server's stream goes on after the client's input has ended" {
	make_identities
	mkfifo server_in
	printf 'from client' >data
	# The server's input speaks only once the client's stream is all in.
	{ wait_for_content listener.out 'from client' && printf 'late reply'; } \
	    >server_in 3>&- &
	BG_PIDS+=("$!")
	LISTEN_IN=server_in start_listener --allow "$CLIENT_TOKEN"
	run connect_io data client.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = 'from client' ]
	[ "$(cat client.out)" = 'late reply' ]
}

@test "--recv-only sends nothing; --send-only discards what arrives" {
	make_identities
	printf 'server data' >server_data
	printf 'client data' >client_data
	LISTEN_IN=server_data start_listener --allow "$CLIENT_TOKEN" --recv-only
	run connect_io client_data client.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = 'client data' ]
	[ ! -s client.out ]

	LISTEN_IN=server_data start_listener --allow "$CLIENT_TOKEN" --send-only
	run connect_io client_data client.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ ! -s listener.out ]
	[ "$(cat client.out)" = 'server data' ]
}

# answer_once_setup: identities; client_in, a FIFO that says 'from client'
# and then stays open until the file released appears (like rsync -e, the
# program feeding us waits for us to exit before it closes our input); and
# a listener whose command reads those 11 bytes, answers and exits.
answer_once_setup() {
	make_identities
	mkfifo client_in
	{
		printf 'from client'
		wait_for_file released
	} >client_in 3>&- &
	BG_PIDS+=("$!")
	start_listener --allow "$CLIENT_TOKEN" \
	    -e 'head -c 11 >received; printf "from server"'
}

@test "--exit-with-peer: the peer's end of stream ends ours, though stdin stays open" {
	answer_once_setup
	run connect_io client_in client.out --peer "$SERVER_TOKEN" \
	    --exit-with-peer
	assert_status 0
	[ "$(cat client.out)" = 'from server' ]
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat received)" = 'from client' ]
	touch released
}

@test "without --exit-with-peer the client waits for its own input to end" {
	answer_once_setup
	start_bg client client_in "$SEALCAT" connect -i "$CLIENT_ID" \
	    --peer "$SERVER_TOKEN" 127.0.0.1 "$PORT"
	local client=$BG_PID
	wait_for_content client.out 'from server'
	sleep 1
	kill -0 "$client"	# still running: its input has not ended
	touch released		# now it ends
	wait_bg "$client"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
}
