#!/usr/bin/env bats
# endpoints.bats - endpoints other than a TCP port and stdio: Unix sockets
# on either side (listen/connect unix:PATH, --forward unix:PATH,
# --unix-mode), with real services behind them (Python's http.server).

load helpers

setup() {
	common_setup
	make_identities
	PYTHON3=${PYTHON3:-python3}
	mkdir -p www
	random_file www/blob 300000
	printf 'hello from http.server\n' >www/index.txt
}

teardown() {
	pipe_teardown
}

# start_unix_listener PATH [ARGS...]: sealcat listen -v on unix:PATH with
# stdin from ${LISTEN_IN:-/dev/null}; waits for its "listening on" line.
start_unix_listener() {
	local path=$1
	shift
	start_bg listener "${LISTEN_IN:-/dev/null}" "$SEALCAT" listen -v \
	    -i "$SERVER_ID" "$@" "unix:$path"
	LISTENER_PID=$BG_PID
	wait_for_line listener.err "^sealcat: listening on unix:$path$"
}

# connect_unix IN OUT PATH [ARGS...]: sealcat connect -i $CLIENT_ID ARGS
# unix:PATH with stdin from IN and stdout to OUT; for `run`.
connect_unix() {
	local in=$1 out=$2 path=$3
	shift 3
	timeout "$WATCHDOG" "$SEALCAT" connect -i "$CLIENT_ID" "$@" \
	    "unix:$path" <"$in" >"$out"
}

# start_http NAME ENDPOINT: http_server.py serving www on ENDPOINT ("tcp"
# or unix:PATH); sets HTTP_PORT for tcp.
start_http() {
	start_bg "$1" /dev/null "$PYTHON3" "$SEALCAT_SRCDIR/tests/cli/http_server.py" \
	    www "$2"
	wait_for_line "$1.err" '^listening on '
	HTTP_PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	    "$1.err")
}

@test "listen unix:PATH and connect unix:PATH carry a file both ways" {
	random_file up 500000
	random_file down 400000
	LISTEN_IN=down start_unix_listener "$BATS_TEST_TMPDIR/s.sock" \
	    --allow "$CLIENT_TOKEN"
	[ "$(stat -c %a s.sock)" = 600 ]
	run connect_unix up client.out "$BATS_TEST_TMPDIR/s.sock" -v \
	    --peer "$SERVER_TOKEN"
	assert_status 0
	[[ $output == *"connected to unix:$BATS_TEST_TMPDIR/s.sock"* ]]
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file up listener.out
	assert_same_file down client.out
	assert_line_in listener.err "^sealcat: connection from unix:"
	# The socket was ours: it is gone.
	[ ! -e s.sock ]
}

@test "--unix-mode sets the socket's mode; known_peers names unix:PATH" {
	start_unix_listener "$BATS_TEST_TMPDIR/m.sock" --unix-mode 0660 \
	    --allow "$CLIENT_TOKEN"
	[ "$(stat -c %a m.sock)" = 660 ]
	[ "$(stat -c %F m.sock)" = socket ]
	run connect_unix /dev/null client.out "$BATS_TEST_TMPDIR/m.sock" \
	    --trust-new
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	run grep -c "^unix:$BATS_TEST_TMPDIR/m.sock $SERVER_TOKEN" \
	    "$XDG_CONFIG_HOME/sealcat/known_peers"
	assert_status 0
	[ "$output" = 1 ]
}

@test "a file already at the path is refused and left alone" {
	printf 'precious\n' >taken
	run "$SEALCAT" listen -i "$SERVER_ID" --allow-any "unix:$BATS_TEST_TMPDIR/taken"
	assert_status 1
	assert_one_line_error "^sealcat: cannot listen on unix:$BATS_TEST_TMPDIR/taken: the file exists — remove it if no listener uses it, or pick another path$"
	[ "$(cat taken)" = precious ]
}

@test "a stop signal removes the socket, but not a file put in its place" {
	start_unix_listener "$BATS_TEST_TMPDIR/a.sock" --allow-any
	kill -TERM "$(pgrep -P "$LISTENER_PID" -x sealcat)"
	wait_bg "$LISTENER_PID"
	assert_status 143
	[ ! -e a.sock ]

	start_unix_listener "$BATS_TEST_TMPDIR/b.sock" --allow-any -k \
	    --forward "unix:$BATS_TEST_TMPDIR/nowhere"
	rm b.sock
	printf 'not yours\n' >b.sock
	kill -TERM "$(pgrep -P "$LISTENER_PID" -x sealcat)"
	wait_bg "$LISTENER_PID"
	assert_status 143
	[ "$(cat b.sock)" = 'not yours' ]
}

@test "connect unix: to no socket: one line, exit 1" {
	run "$SEALCAT" connect -i "$CLIENT_ID" --peer "$SERVER_TOKEN" \
	    "unix:$BATS_TEST_TMPDIR/absent" </dev/null
	assert_status 1
	assert_one_line_error "^sealcat: cannot connect to unix:$BATS_TEST_TMPDIR/absent: no such socket — is the listener running\\?$"
}

@test "--unix-mode: octal bits only, and only with unix:PATH" {
	run "$SEALCAT" listen --allow-any --unix-mode 0999 unix:x
	assert_status 2
	assert_one_line_error "^sealcat: --unix-mode: '0999' is not a file mode — use octal permission bits such as 0660$"
	run "$SEALCAT" listen --allow-any --unix-mode 0660 9000
	assert_status 2
	assert_one_line_error "^sealcat: --unix-mode is for listen unix:PATH"
	run "$SEALCAT" listen --allow-any 127.0.0.1 unix:x
	assert_status 2
	assert_one_line_error "^sealcat: unix:PATH takes no ADDRESS"
}

@test "http.server behind --forward HOST:PORT serves a file intact" {
	start_http web tcp
	start_listener --allow "$CLIENT_TOKEN" -k --forward "127.0.0.1:$HTTP_PORT"
	printf 'GET /blob HTTP/1.0\r\n\r\n' >request
	run connect_io request reply --peer "$SERVER_TOKEN"
	assert_status 0
	head -1 reply | grep -q '^HTTP/1.0 200 '
	sed '1,/^\r$/d' reply >body
	assert_same_file www/blob body
}

@test "http.server on a Unix socket behind --forward unix:PATH" {
	start_http web "unix:$BATS_TEST_TMPDIR/web.sock"
	start_listener --allow "$CLIENT_TOKEN" -k \
	    --forward "unix:$BATS_TEST_TMPDIR/web.sock"
	printf 'GET /blob HTTP/1.0\r\n\r\n' >request
	run connect_io request reply --peer "$SERVER_TOKEN"
	assert_status 0
	head -1 reply | grep -q '^HTTP/1.0 200 '
	sed '1,/^\r$/d' reply >body
	assert_same_file www/blob body
	assert_line_in listener.err "forwarding to unix:$BATS_TEST_TMPDIR/web.sock"
}
