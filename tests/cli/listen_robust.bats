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

# bash -c "$WITH_NOFILE" SOFT CMD...: runs CMD with only descriptors 0-2
# open (bats leaves some of its own to children) and a soft limit of SOFT
# on them.
WITH_NOFILE='for fd in /proc/$$/fd/*; do
	fd=${fd##*/}
	if ((fd > 2)); then eval "exec $fd>&-"; fi
done
ulimit -Sn "$0" && exec "$@"'

# set_nofile PID SOFT: sets the soft limit on open files of PID.
set_nofile() {
	"${PYTHON3:-python3}" -c '
import resource, sys
pid, soft = int(sys.argv[1]), int(sys.argv[2])
hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)[1]
resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
' "$1" "$2"
}

# ------------------------------------------------ a one-shot listener waits

@test "a one-shot listener outlives a scan, a wrong key and a stranger, then serves" {
	LISTEN_IN=server_data start_listener --allow "$CLIENT_TOKEN" -w 2
	# A port scan: connect, close.
	run connect_close "$PORT"
	assert_status 0
	wait_for_line listener.err "^sealcat: 127\.0\.0\.1:[0-9]+ closed the connection before the handshake$"
	assert_waiting
	# A client whose key is not allowed.
	CLIENT_ID=$OTHER_ID run connect_io client_data client.out \
	    --peer "$SERVER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: rejected by peer: not authorized$"
	[ ! -s client.out ]
	wait_for_line listener.err "^sealcat: client key ${OTHER_TOKEN//+/\\+} \\(fingerprint [a-z2-7-]+\\) is not authorized"
	assert_waiting
	# Something that is not sealcat.
	run http_request "$PORT"
	[ "$output" = "SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b" ]
	wait_for_line listener.err "^sealcat: refused 127\.0\.0\.1:[0-9]+: not a sealcat peer"
	assert_waiting
	# A garbage line that is sealcat's in all but the suite.
	run connect_close "$PORT" $'SEALCAT/2 Noise_XX_P256_AESGCM_SHA256\n'
	wait_for_line listener.err "^sealcat: suite mismatch with 127\.0\.0\.1:[0-9]+"
	# A client that says nothing within -w.
	"${PYTHON3:-python3}" -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(15)
' "$PORT" 3>&- &
	BG_PIDS+=("$!")
	wait_for_line listener.err "^sealcat: timed out waiting for the peer's SEALCAT/2 line"
	assert_waiting
	# Then the client it was waiting for: served, both ways, exit 0.
	run connect_io client_data client.out --peer "$SERVER_TOKEN"
	assert_status 0
	[ "$output" = "" ]
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = 'client secret payload' ]
	[ "$(cat client.out)" = 'server secret payload' ]
	# One line per failed attempt.
	local pattern
	for pattern in 'closed the connection before the handshake' \
	    'is not authorized' 'not a sealcat peer' 'suite mismatch' \
	    'timed out waiting'; do
		[ "$(grep -c "$pattern" listener.err)" -eq 1 ]
	done
}

@test "a one-shot listener refuses others once its one client is authenticated" {
	hold_open client_in client_done 'the one'
	start_listener --allow "$CLIENT_TOKEN"
	connect_io client_in client.out --peer "$SERVER_TOKEN" 2>client.err \
	    3>&- &
	local first=$!
	BG_PIDS+=("$first")
	wait_for_line listener.err ' is x25519:'
	# The port is closed: refused at once, not queued behind the session.
	CLIENT_ID=$OTHER_ID run connect_io client_data second.out \
	    --peer "$SERVER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: cannot connect to 127\.0\.0\.1:$PORT: connection refused"
	touch client_done
	wait_bg "$first"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = 'the one' ]
	[ ! -s second.out ]
}

@test "a one-shot listener's status is its one session's: a truncated stream is exit 1" {
	hold_open server_in server_done
	LISTEN_IN=server_in start_listener --allow "$CLIENT_TOKEN"
	# The client dies mid-stream, after authentication.
	run timeout -s KILL 1 "$SEALCAT" connect -i "$CLIENT_ID" \
	    --peer "$SERVER_TOKEN" 127.0.0.1 "$PORT" </dev/zero >/dev/null
	assert_status 137
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_line_in listener.err "^sealcat: connection truncated: "
	touch server_done
}

@test "a flood of failed attempts is taken slowly, said once, and the real client still gets in" {
	LISTEN_IN=server_data start_listener --allow "$CLIENT_TOKEN"
	"${PYTHON3:-python3}" -c '
import socket, sys
for i in range(40):
    socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()
' "$PORT"
	wait_for_line listener.err "^sealcat: warning: many failed connection attempts"
	# Slowed down after a burst: not 40 lines at once.
	local n
	n=$(grep -c 'closed the connection before the handshake' listener.err)
	(( n <= 12 ))
	run connect_io client_data client.out --peer "$SERVER_TOKEN" -w 30
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = 'client secret payload' ]
	[ "$(grep -c 'many failed connection attempts' listener.err)" -eq 1 ]
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

# ------------------------------------------- trust without a config directory

@test "listen --allow -i FILE works without HOME or XDG_CONFIG_HOME" {
	start_bg listener server_data env -u HOME -u XDG_CONFIG_HOME \
	    "$SEALCAT" listen -v -i "$SERVER_ID" --allow "$CLIENT_TOKEN" \
	    127.0.0.1 0
	LISTENER_PID=$BG_PID
	wait_listening listener
	run connect_io client_data client.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = 'client secret payload' ]
	[ "$(cat client.out)" = 'server secret payload' ]
}

@test "listen with nobody allowed and no HOME says how to allow someone" {
	run env -u HOME -u XDG_CONFIG_HOME "$SEALCAT" listen -i "$SERVER_ID" \
	    127.0.0.1 0
	assert_status 2
	assert_one_line_error "^sealcat: no client is allowed to connect — add --allow TOKEN \(a client's 'sealcat pubkey'\), list tokens in a file given with -A \(HOME is not set, so there is no default authorized_peers\), or pass --allow-any"
}

@test "-A /dev/null is an empty list: only --allow keys, not authorized_peers" {
	mkdir -p "$XDG_CONFIG_HOME/sealcat"
	printf '%s\n' "$OTHER_TOKEN" >"$XDG_CONFIG_HOME/sealcat/authorized_peers"
	start_listener -k -A /dev/null --allow "$CLIENT_TOKEN"
	CLIENT_ID=$OTHER_ID run connect_io client_data client.out \
	    --peer "$SERVER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: rejected by peer: not authorized$"
	run connect_io client_data client.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_for_content listener.out 'client secret payload'

	run "$SEALCAT" listen -i "$SERVER_ID" -A /dev/null 127.0.0.1 0
	assert_status 2
	assert_one_line_error "^sealcat: no client is allowed to connect — .*list tokens in a file given with -A, or pass --allow-any"
}

@test "-A with a device other than /dev/null is still refused" {
	run "$SEALCAT" listen -i "$SERVER_ID" -A /dev/zero --allow-any 127.0.0.1 0
	assert_status 2
	assert_one_line_error "^sealcat: /dev/zero: not a regular file"
}

@test "a relative XDG_CONFIG_HOME is ignored with a warning, for HOME/.config" {
	mkdir -p "$HOME/.config/sealcat"
	printf '%s\n' "$CLIENT_TOKEN" >"$HOME/.config/sealcat/authorized_peers"
	XDG_CONFIG_HOME=relative/dir LISTEN_IN=server_data start_listener
	assert_line_in listener.err "^sealcat: warning: XDG_CONFIG_HOME 'relative/dir' is not an absolute path, so it is ignored — using $HOME/\.config$"
	[ "$(grep -c XDG_CONFIG_HOME listener.err)" -eq 1 ]
	run connect_io client_data client.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ ! -e relative ]
}

@test "a relative XDG_CONFIG_HOME without HOME: the error names both" {
	run env -u HOME XDG_CONFIG_HOME=relative "$SEALCAT" keygen
	assert_status 2
	assert_one_line_error "^sealcat: cannot find the configuration directory: XDG_CONFIG_HOME 'relative' is not an absolute path, so it is ignored, and HOME is not set — set HOME or an absolute XDG_CONFIG_HOME, or give the file explicitly$"
	[ ! -e relative ]
}

# ------------------------------------------------------ out of descriptors

@test "out of descriptors, the listener says so once and serves when it can" {
	# Descriptors 0-2 and the listening socket: accept() has no room.
	start_bg listener server_data bash -c "$WITH_NOFILE" 4 \
	    "$SEALCAT" listen -v -i "$SERVER_ID" --allow "$CLIENT_TOKEN" \
	    127.0.0.1 0
	LISTENER_PID=$BG_PID
	wait_listening listener
	connect_io client_data client.out --peer "$SERVER_TOKEN" -w 30 \
	    2>client.err 3>&- &
	local client=$!
	BG_PIDS+=("$client")
	wait_for_line listener.err "^sealcat: cannot accept a connection: Too many open files — retrying until it works$"
	# It retries quietly: still one line a while later.
	sleep 1.5
	[ "$(grep -c 'cannot accept' listener.err)" -eq 1 ]
	set_nofile "$(sealcat_pid)" 64
	wait_bg "$client"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = 'client secret payload' ]
	[ "$(cat client.out)" = 'server secret payload' ]
	[ "$(grep -c 'cannot accept' listener.err)" -eq 1 ]
	assert_line_in listener.err "^sealcat: accepting connections again$"
}

@test "listen -k --exec out of descriptors: said once, then both clients served" {
	# 0-2, the listening socket and the signal self-pipe (2): nothing
	# left to accept with.
	start_bg listener /dev/null bash -c "$WITH_NOFILE" 6 \
	    "$SEALCAT" listen -v -i "$SERVER_ID" --allow "$CLIENT_TOKEN" -k \
	    --exec cat 127.0.0.1 0
	LISTENER_PID=$BG_PID
	wait_listening listener
	local i pids=()
	for i in 1 2; do
		printf 'client %s' "$i" >"in$i"
		connect_io "in$i" "out$i" --peer "$SERVER_TOKEN" -w 30 \
		    2>"err$i" 3>&- &
		pids+=("$!")
		BG_PIDS+=("$!")
	done
	wait_for_line listener.err "^sealcat: cannot accept a connection: Too many open files — retrying until it works$"
	sleep 1.5
	[ "$(grep -c 'cannot accept' listener.err)" -eq 1 ]
	set_nofile "$(sealcat_pid)" 64
	for i in 1 2; do
		wait_bg "${pids[$((i - 1))]}"
		assert_status 0
		[ "$(cat "out$i")" = "client $i" ]
	done
	[ "$(grep -c 'cannot accept' listener.err)" -eq 1 ]
	kill -0 "$LISTENER_PID"
}

@test "an --exec command that cannot start: the client hears why" {
	# Room for the connection and the signal self-pipe, none for the
	# command's pipes.
	start_bg listener /dev/null bash -c "$WITH_NOFILE" 7 \
	    "$SEALCAT" listen -v -i "$SERVER_ID" --allow "$CLIENT_TOKEN" \
	    --exec cat 127.0.0.1 0
	LISTENER_PID=$BG_PID
	wait_listening listener
	run connect_io client_data client.out --peer "$SERVER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: rejected by peer: cannot start the command$"
	[ ! -s client.out ]
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_line_in listener.err "^sealcat: cannot create pipes for --exec: Too many open files$"
}
