#!/usr/bin/env bats
# pipe_mitm.bats - a man in the middle (tests/cli/mitm.py) flips one bit
# deep in the stream or cuts the connection: both ends exit 1, and what
# each wrote out is an exact prefix of what was sent, never a changed byte.

load helpers

SIZE=$((8 * 1024 * 1024))
DEEP=$((4 * 1024 * 1024 + 12345))

setup() {
	common_setup
	make_identities
	random_file to_server "$SIZE"
	random_file to_client "$SIZE"
}

teardown() {
	pipe_teardown
}

# through_mitm: the client sends to_server and receives client.out via the
# man in the middle; sets status and output (the client's stderr).
through_mitm() {
	PORT=$MITM_PORT run connect_io to_server client.out \
	    --peer "$SERVER_TOKEN"
}

@test "a bit flipped deep in the client's stream: the server stops at that frame" {
	LISTEN_IN=to_client start_listener --allow "$CLIENT_TOKEN"
	start_mitm flip "$DEEP" --dir c2s
	through_mitm
	assert_status 1
	assert_one_line_error "^sealcat: "
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_line_in listener.err "^sealcat: received a bad frame from 127\.0\.0\.1:[0-9]+: frame failed authentication — the stream was altered or corrupted in transit; nothing of that frame was written$"
	# Every frame before the flipped one, nothing of it or after it.
	assert_prefix listener.out to_server
	[ "$(wc -c <listener.out)" -gt $((DEEP - 70000)) ]
	assert_prefix_or_same client.out to_client
}

@test "a bit flipped deep in the server's stream: the client stops at that frame" {
	LISTEN_IN=to_client start_listener --allow "$CLIENT_TOKEN"
	start_mitm flip "$DEEP" --dir s2c
	through_mitm
	assert_status 1
	assert_one_line_error "^sealcat: received a bad frame from 127\.0\.0\.1:$MITM_PORT: frame failed authentication"
	assert_prefix client.out to_client
	[ "$(wc -c <client.out)" -gt $((DEEP - 70000)) ]
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_prefix_or_same listener.out to_server
}

@test "the connection cut in the client's stream: the server reports truncation" {
	LISTEN_IN=to_client start_listener --allow "$CLIENT_TOKEN"
	start_mitm cut "$DEEP" --dir c2s
	through_mitm
	assert_status 1
	assert_one_line_error "^sealcat: (connection truncated|connection to 127\.0\.0\.1:$MITM_PORT lost while sending)"
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_line_in listener.err "^sealcat: connection truncated: 127\.0\.0\.1:[0-9]+ (closed|reset) the connection before the end of the stream"
	assert_prefix listener.out to_server
	assert_prefix_or_same client.out to_client
}

@test "the connection cut in the server's stream: the client reports truncation" {
	LISTEN_IN=to_client start_listener --allow "$CLIENT_TOKEN"
	start_mitm cut "$DEEP" --dir s2c
	through_mitm
	assert_status 1
	assert_one_line_error "^sealcat: connection truncated: 127\.0\.0\.1:$MITM_PORT (closed|reset) the connection before the end of the stream — what was received is incomplete$"
	assert_prefix client.out to_client
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_prefix_or_same listener.out to_server
}

@test "the man in the middle sees no plaintext and changes nothing when it only relays" {
	LISTEN_IN=to_client start_listener --allow "$CLIENT_TOKEN"
	start_mitm record wire --dir c2s
	through_mitm
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file listener.out to_server
	assert_same_file client.out to_client
	# The wire holds the preamble and ciphertext: no 32-byte run of the
	# stream appears in it.
	local probe
	probe=$(head -c 32 to_server | od -An -tx1 | tr -d ' \n')
	if od -An -tx1 -v wire | tr -d ' \n' | grep -q "$probe"; then
		echo "plaintext found on the wire" >&2
		return 1
	fi
	[ "$(head -n1 wire)" = "SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b" ]
}

@test "a cut stream never looks complete to --exec: the command is stopped" {
	start_listener --allow "$CLIENT_TOKEN" --exec 'cat >got && echo complete >marker'
	start_mitm cut "$DEEP" --dir c2s
	through_mitm
	assert_status 1
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_line_in listener.err "^sealcat: connection truncated: "
	assert_prefix got to_server
	[ ! -e marker ]
}

@test "an intact stream does reach the end of the --exec command" {
	start_listener --allow "$CLIENT_TOKEN" --exec 'cat >got && echo complete >marker'
	start_mitm pass
	through_mitm
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file got to_server
	[ "$(cat marker)" = complete ]
}
