#!/usr/bin/env bats
# listen_robust.bats - a listener in a hostile or unusual environment: a
# one-shot listener that outlives failed attempts (a port scan, a wrong
# key, a stranger's protocol, a flood of them), closed standard
# descriptors, no HOME, an -A /dev/null, a relative XDG_CONFIG_HOME, and
# running out of descriptors.

load helpers

setup() {
	common_setup
	make_identities
	OTHER_ID=$BATS_TEST_TMPDIR/other
	OTHER_TOKEN=$("$SEALCAT" keygen -o "$OTHER_ID")
	printf 'server secret payload' >server_data
	printf 'client secret payload' >client_data
}

teardown() {
	pipe_teardown
}

# sealcat_pid: the sealcat process under the listener's watchdog.
sealcat_pid() {
	pgrep -P "$LISTENER_PID" -x sealcat
}

# connect_close PORT [BYTES]: connects to 127.0.0.1:PORT, sends BYTES (may
# be empty) and closes at once, like `nc -z` or a port scanner.
connect_close() {
	"${PYTHON3:-python3}" - "$1" "${2-}" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.argv[2].encode())
s.close()
EOF
}

# http_request PORT: an HTTP request to 127.0.0.1:PORT; prints the reply.
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

# assert_waiting: the listener is still running, and it has not written
# a byte to its stdout.
assert_waiting() {
	if ! kill -0 "$LISTENER_PID" 2>/dev/null; then
		echo "the listener ended; its stderr:" >&2
		cat listener.err >&2
		return 1
	fi
	[ ! -s listener.out ]
}

# set_nofile PID SOFT: sets the soft limit on open files of PID.
set_nofile() {
	"${PYTHON3:-python3}" -c '
import resource, sys
pid, soft = int(sys.argv[1]), int(sys.argv[2])
hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)[1]
resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
' "$1" "$2"
}

# --------------------------------------------------- closed standard output

@test "listen with stdout closed: exit 2, one line, nothing accepted" {
	run timeout 10 bash -c '"$0" listen -v -i "$1" --allow "$2" 127.0.0.1 0 2>&1 >&-' \
	    "$SEALCAT" "$SERVER_ID" "$CLIENT_TOKEN"
	assert_status 2
	assert_one_line_error "^sealcat: standard output is closed — redirect it \(> FILE, or > /dev/null to discard what arrives\), or pass --send-only$"
}

@test "connect with stdout closed: exit 2, one line, no connection" {
	LISTEN_IN=server_data start_listener --allow "$CLIENT_TOKEN"
	run timeout 10 bash -c '"$0" connect -i "$1" --peer "$2" 127.0.0.1 "$3" <"$4" 2>&1 >&-' \
	    "$SEALCAT" "$CLIENT_ID" "$SERVER_TOKEN" "$PORT" client_data
	assert_status 2
	assert_one_line_error "^sealcat: standard output is closed — redirect it \(> FILE, or > /dev/null to discard what arrives\), or pass --send-only$"
	# It never connected: the listener saw nobody.
	if grep -q 'connection from' listener.err; then
		return 1
	fi
	assert_waiting
}

@test "--send-only, --exec and --forward do not need stdout" {
	LISTEN_IN=server_data start_listener --allow "$CLIENT_TOKEN"
	run timeout 10 bash -c '"$0" connect -i "$1" --peer "$2" --send-only 127.0.0.1 "$3" <"$4" 2>&1 >&-' \
	    "$SEALCAT" "$CLIENT_ID" "$SERVER_TOKEN" "$PORT" client_data
	assert_status 0
	[ "$output" = "" ]
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = 'client secret payload' ]

	start_bg listener server_data bash -c \
	    'exec "$0" listen -v -i "$1" --allow "$2" --send-only 127.0.0.1 0 >&-' \
	    "$SEALCAT" "$SERVER_ID" "$CLIENT_TOKEN"
	LISTENER_PID=$BG_PID
	wait_listening listener
	run connect_io /dev/null client.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat client.out)" = 'server secret payload' ]

	start_bg listener /dev/null bash -c \
	    'exec "$0" listen -v -i "$1" --allow "$2" --exec cat 127.0.0.1 0 >&-' \
	    "$SEALCAT" "$SERVER_ID" "$CLIENT_TOKEN"
	LISTENER_PID=$BG_PID
	wait_listening listener
	run connect_io client_data client.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat client.out)" = 'client secret payload' ]
}

@test "keygen and pubkey with stdout closed: exit 2, no key file written" {
	run timeout 10 bash -c '"$0" keygen -o "$1" 2>&1 >&-' "$SEALCAT" newkey
	assert_status 2
	assert_one_line_error "^sealcat: standard output is closed — the token is printed there: redirect it \(> FILE, or > /dev/null\)$"
	[ ! -e newkey ]
	[ ! -e newkey.pub ]
	run timeout 10 bash -c '"$0" pubkey -i "$1" 2>&1 >&-' "$SEALCAT" "$CLIENT_ID"
	assert_status 2
	assert_one_line_error "^sealcat: standard output is closed — the token is printed there: redirect it \(> FILE, or > /dev/null\)$"
}

@test "a closed stdin is fine: /dev/null stands in for it" {
	start_bg listener /dev/null bash -c \
	    'exec "$0" listen -v -i "$1" --allow "$2" 127.0.0.1 0 <&-' \
	    "$SEALCAT" "$SERVER_ID" "$CLIENT_TOKEN"
	LISTENER_PID=$BG_PID
	wait_listening listener
	run connect_io client_data client.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = 'client secret payload' ]
	[ ! -s client.out ]
}
