#!/usr/bin/env bats
# pipe_fail.bats - the wrong peers: a wrong server key, an unauthorized
# client, another suite, a non-sealcat client, idle clients.  Each test
# checks the exit status, the one-line message, and that no payload byte
# reached the other side's output.

load helpers

setup() {
	common_setup
	make_identities
	OTHER_TOKEN=$("$SEALCAT" keygen -o other)
	printf 'server secret payload' >server_data
	printf 'client secret payload' >client_data
}

teardown() {
	pipe_teardown
}

# assert_listener_waits REGEX: the listener said REGEX and, as that attempt
# failed before the client was authorized, goes on waiting for another;
# then it is stopped.
assert_listener_waits() {
	wait_for_line listener.err "$1"
	kill -0 "$LISTENER_PID"
	kill "$LISTENER_PID"
	wait_bg "$LISTENER_PID"
}

# assert_stopped_after_message_2 TOKEN: the listener said the client closed
# after message 2 and waits for another, never saw TOKEN, and nothing
# crossed.
assert_stopped_after_message_2() {
	assert_listener_waits "^sealcat: handshake with 127\.0\.0\.1:[0-9]+ failed: the client closed the connection after message 2"
	if grep -F -- "$1" listener.err; then
		return 1
	fi
	[ ! -s listener.out ]
	[ ! -s client.out ]
}

@test "a server with another key: the client stops before message 3" {
	LISTEN_IN=server_data start_listener --allow "$CLIENT_TOKEN"
	run connect_io client_data client.out --peer "$OTHER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: server 127\.0\.0\.1:$PORT presented key ${SERVER_TOKEN//+/\\+} \\(fingerprint [a-z2-7-]+\\), which is not the --peer key"
	# The client never revealed itself: the server never learnt its key.
	assert_stopped_after_message_2 "$CLIENT_TOKEN"
}

@test "a client key file whose public line is another key's: exit 2, message 3 never sent" {
	# connect checks the public line against the secret while the
	# listener computes message 2: the check still comes before the key
	# is used or shown.
	for suite in x25519 p256; do
		"$SEALCAT" keygen --suite "$suite" -o "mine_$suite" >/dev/null
		"$SEALCAT" keygen --suite "$suite" -o "theirs_$suite" >/dev/null
		{ head -n 2 "mine_$suite"; tail -n 1 "theirs_$suite"; } >"mixed_$suite"
		chmod 600 "mixed_$suite"
		local shown
		shown=$(sed -n 's/^public //p' "theirs_$suite")
		[ "$suite" = x25519 ] || make_identities "$suite"
		LISTEN_IN=server_data start_listener --allow-any
		CLIENT_ID=mixed_$suite run connect_io client_data client.out --peer "$SERVER_TOKEN"
		assert_status 2
		assert_one_line_error "^sealcat: mixed_$suite: the public key on line 3 does not match the secret key on line 2 .* — restore it from a backup or create a new key with 'sealcat keygen'$"
		assert_stopped_after_message_2 "$shown"
	done
}

@test "an unauthorized client: 'rejected by peer: not authorized'" {
	LISTEN_IN=server_data start_listener --allow "$OTHER_TOKEN"
	run connect_io client_data client.out --peer "$SERVER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: rejected by peer: not authorized$"
	assert_listener_waits "^sealcat: client key ${CLIENT_TOKEN//+/\\+} \\(fingerprint [a-z2-7-]+\\) is not authorized"
	[ ! -s listener.out ]
	[ ! -s client.out ]
}

@test "suite mismatch: both sides name both suites" {
	local p256_server
	p256_server=$("$SEALCAT" keygen --suite p256 -o p256_server)
	SERVER_ID=p256_server LISTEN_IN=server_data start_listener --allow-any
	run connect_io client_data client.out --peer "$OTHER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: suite mismatch with 127\.0\.0\.1:$PORT: peer speaks p256 \(Noise_XX_P256_AESGCM_SHA256\), we speak x25519 \(Noise_XX_25519_ChaChaPoly_BLAKE2b\)"
	assert_listener_waits "^sealcat: suite mismatch with 127\.0\.0\.1:[0-9]+: peer speaks x25519 \(Noise_XX_25519_ChaChaPoly_BLAKE2b\), we speak p256 \(Noise_XX_P256_AESGCM_SHA256\)"
	[ ! -s listener.out ]
	[ ! -s client.out ]
	[ -n "$p256_server" ]
}

# http_request PORT: sends an HTTP request to 127.0.0.1:PORT and prints
# what comes back until the server closes.
http_request() {
	timeout 10 "${PYTHON3:-python3}" - "$1" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
reply = b""
while True:
    data = s.recv(4096)
    if not data:
        break
    reply += data
sys.stdout.write(reply.decode("latin-1"))
EOF
}

@test "an HTTP client is refused cleanly: our line, then the door closes" {
	LISTEN_IN=server_data start_listener --allow "$CLIENT_TOKEN"
	run http_request "$PORT"
	assert_status 0
	# All it gets is the SEALCAT/2 line: no stream byte.
	[ "$output" = "SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b" ]
	assert_listener_waits "^sealcat: refused 127\.0\.0\.1:[0-9]+: not a sealcat peer"
	[ ! -s listener.out ]
}

@test "listen -k goes on serving after an HTTP client" {
	start_listener --allow "$CLIENT_TOKEN" -k --exec cat
	run http_request "$PORT"
	[ "$output" = "SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b" ]
	run connect_io client_data client.out --peer "$SERVER_TOKEN"
	assert_status 0
	[ "$(cat client.out)" = 'client secret payload' ]
	kill -0 "$LISTENER_PID"
}

# line_first_client PORT: sends the x25519 SEALCAT/2 line and nothing
# else, as an initiator that waits for the answer before message 1 may
# (PROTOCOL.md §1.2); prints the line that comes back and how long it took.
line_first_client() {
	timeout 20 "${PYTHON3:-python3}" - "$1" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b\n")
start = time.monotonic()
got = b""
while not got.endswith(b"\n"):
    data = s.recv(1)
    if not data:
        break
    got += data
print(got.decode("latin-1").rstrip("\n"))
print("%.1f" % (time.monotonic() - start))
EOF
}

@test "a client that waits for our line before message 1 gets it at once" {
	# The listener sends its line together with message 2 when message 1
	# is already there; here it is not, so the line must go out alone.
	LISTEN_IN=server_data start_listener --allow "$CLIENT_TOKEN" -w 8
	run line_first_client "$PORT"
	assert_status 0
	[ "${lines[0]}" = "SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b" ]
	# At once, not when -w gives up on message 1.
	(( ${lines[1]%.*} < 4 ))
	assert_listener_waits "^sealcat: handshake with 127\.0\.0\.1:[0-9]+ failed: the client closed the connection$"
	[ ! -s listener.out ]
}

# idle_client PORT [BYTES]: connects, sends BYTES (may be empty), then
# stays silent until the server hangs up; prints how long that took.
idle_client() {
	timeout 20 "${PYTHON3:-python3}" - "$1" "${2-}" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.argv[2].encode())
start = time.monotonic()
while s.recv(4096):
    pass
print("%.1f" % (time.monotonic() - start))
EOF
}

@test "a client idle past -w is dropped with a timeout message" {
	LISTEN_IN=server_data start_listener --allow "$CLIENT_TOKEN" -w 1
	run idle_client "$PORT"
	assert_status 0
	# Dropped after the one second of -w, well before the watchdog.
	[[ $output =~ ^[0-9]+\.[0-9]$ ]]
	(( ${output%.*} < 5 ))
	assert_listener_waits "^sealcat: timed out waiting for the peer's SEALCAT/2 line"
	[ ! -s listener.out ]
}

@test "a client that stalls inside the handshake is dropped after -w" {
	LISTEN_IN=server_data start_listener --allow "$CLIENT_TOKEN" -w 1
	run idle_client "$PORT" $'SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b\n'
	assert_status 0
	(( ${output%.*} < 5 ))
	assert_listener_waits "^sealcat: handshake with 127\.0\.0\.1:[0-9]+ timed out after 1 s while receiving"
	[ ! -s listener.out ]
}

@test "idle clients do not hold up a real one (listen -k --exec)" {
	start_listener --allow "$CLIENT_TOKEN" -k --exec cat -w 30
	local i
	for ((i = 0; i < 5; i++)); do
		idle_client "$PORT" >/dev/null 3>&- &
		BG_PIDS+=("$!")
	done
	SECONDS=0
	run connect_io client_data client.out --peer "$SERVER_TOKEN"
	assert_status 0
	[ "$(cat client.out)" = 'client secret payload' ]
	# Served at once, not after the idle ones' 30 s handshake timeout.
	(( SECONDS < 10 ))
}

@test "connect to a port nobody listens on: exit 1, one line" {
	local port
	port=$("${PYTHON3:-python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	PORT=$port run connect_io client_data client.out --peer "$SERVER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: cannot connect to 127\.0\.0\.1:$port: connection refused — is the listener running\?$"
}

@test "a listener with no allow-list refuses to start and says how" {
	run "$SEALCAT" listen -i "$SERVER_ID" 127.0.0.1 0
	assert_status 2
	assert_one_line_error "^sealcat: no client is allowed to connect — add --allow TOKEN"
	[[ $output == *"--allow-any"* ]]
	# It names the file it looked in, under this test's XDG_CONFIG_HOME.
	[[ $output == *"list tokens in $XDG_CONFIG_HOME/sealcat/authorized_peers,"* ]]
}

@test "a listener whose -A file lists nobody names that file" {
	printf '# nobody yet\n' > empty_peers
	run "$SEALCAT" listen -i "$SERVER_ID" -A empty_peers 127.0.0.1 0
	assert_status 2
	assert_one_line_error "^sealcat: no client is allowed to connect — add --allow TOKEN .*list tokens in empty_peers, or pass --allow-any"
}

@test "--suite that disagrees with the identity is exit 2 naming both" {
	run "$SEALCAT" listen -i "$SERVER_ID" --suite p256 --allow-any 127.0.0.1 0
	assert_status 2
	assert_one_line_error "^sealcat: --suite p256 does not match the identity .*server_x25519, which is a x25519 key"
	run "$SEALCAT" connect -i "$CLIENT_ID" --suite p256 --peer "$SERVER_TOKEN" 127.0.0.1 1
	assert_status 2
	assert_one_line_error "^sealcat: --suite p256 does not match the identity .*client_x25519, which is a x25519 key"
}

@test "usage errors of listen and connect are exit 2, one line" {
	run "$SEALCAT" listen -i "$SERVER_ID" --allow-any --exec cat --forward 127.0.0.1:1 0
	assert_status 2
	assert_one_line_error "--exec and --forward exclude each other"
	run "$SEALCAT" connect -i "$CLIENT_ID" --recv-only --send-only 127.0.0.1 1
	assert_status 2
	assert_one_line_error "--recv-only and --send-only together"
	run "$SEALCAT" connect -i "$CLIENT_ID" 127.0.0.1
	assert_status 2
	assert_one_line_error "expected HOST PORT or unix:PATH — see 'sealcat connect --help'"
	run "$SEALCAT" listen --frobnicate 0
	assert_status 2
	assert_one_line_error "unknown option '--frobnicate'"
	run "$SEALCAT" listen -i "$SERVER_ID" --allow-any --forward nocolon 0
	assert_status 2
	assert_one_line_error "--forward wants HOST:PORT"
	run "$SEALCAT" connect -i "$CLIENT_ID" -w 0 127.0.0.1 1
	assert_status 2
	assert_one_line_error "^sealcat: -w: '0' is not a number of seconds"
	run "$SEALCAT" connect -i "$CLIENT_ID" --peer "$OTHER_TOKEN" 127.0.0.1 70000
	assert_status 2
	assert_one_line_error "^sealcat: PORT: '70000' is not a port number"
	run "$SEALCAT" connect -i "$CLIENT_ID" --peer "$OTHER_TOKEN" 127.0.0.1 0
	assert_status 2
	assert_one_line_error "^sealcat: PORT 0 names no listener"
}
