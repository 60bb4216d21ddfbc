#!/usr/bin/env bats
# endpoints.bats - endpoints other than a TCP port and stdio: Unix sockets
# on either side (listen/connect unix:PATH, --forward unix:PATH,
# --unix-mode), connect --local, with real services behind them (Python's
# http.server, redis-server, sshd).

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

# start_local [ARGS...]: sealcat connect -v --local ARGS (the remote end
# included) as "local"; waits for its "listening on" line.
start_local() {
	start_bg local /dev/null "$SEALCAT" connect -v -i "$CLIENT_ID" \
	    --peer "$SERVER_TOKEN" "$@"
	LOCAL_PID=$BG_PID
	wait_for_line local.err '^sealcat: listening on '
}

@test "curl through connect --local PORT to http.server behind --forward" {
	start_http web tcp
	start_listener --allow "$CLIENT_TOKEN" -k --forward "127.0.0.1:$HTTP_PORT"
	start_local --local 0 127.0.0.1 "$PORT"
	local lport
	lport=$(sed -n 's/^sealcat: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	    local.err)
	[ -n "$lport" ]
	# Two at once, then one more: a session per connection.
	curl -sS --max-time 60 -o got1 "http://127.0.0.1:$lport/blob" &
	local c1=$!
	run curl -sS --max-time 60 -o got2 "http://127.0.0.1:$lport/blob"
	assert_status 0
	wait_bg "$c1"
	assert_status 0
	run curl -sS --max-time 60 "http://127.0.0.1:$lport/index.txt"
	assert_status 0
	[ "$output" = 'hello from http.server' ]
	assert_same_file www/blob got1
	assert_same_file www/blob got2
	# -v: one "connection from" line per local client, each to the
	# server's port.
	wait_until "$READY_S" bash -c '[ "$(grep -c "$1" local.err)" -eq 3 ]' _ \
	    "^sealcat: connection from 127\.0\.0\.1:[0-9]*, to 127\.0\.0\.1:$PORT$"
	kill -TERM "$(pgrep -P "$LOCAL_PID" -x sealcat)"
	wait_bg "$LOCAL_PID"
	assert_status 143
}

@test "curl over --local unix:PATH to http.server behind --forward unix:PATH" {
	start_http web "unix:$BATS_TEST_TMPDIR/web.sock"
	start_listener --allow "$CLIENT_TOKEN" -k \
	    --forward "unix:$BATS_TEST_TMPDIR/web.sock"
	start_local --local "unix:$BATS_TEST_TMPDIR/local.sock" \
	    --unix-mode 0660 127.0.0.1 "$PORT"
	[ "$(stat -c %a local.sock)" = 660 ]
	run curl -sS --max-time 60 --unix-socket "$BATS_TEST_TMPDIR/local.sock" \
	    -o got "http://sealcat/blob"
	assert_status 0
	assert_same_file www/blob got
	assert_line_in local.err "^sealcat: connection from unix:$BATS_TEST_TMPDIR/local.sock, to 127\.0\.0\.1:$PORT$"
	kill -TERM "$(pgrep -P "$LOCAL_PID" -x sealcat)"
	wait_bg "$LOCAL_PID"
	assert_status 143
	[ ! -e local.sock ]
}

@test "connect --local over a Unix-socket listener: both sides unix:" {
	random_file up 300000
	LISTEN_IN=/dev/null start_unix_listener "$BATS_TEST_TMPDIR/enc.sock" \
	    --allow "$CLIENT_TOKEN" -k --exec 'sha256sum'
	start_local --local 0 "unix:$BATS_TEST_TMPDIR/enc.sock"
	local lport
	lport=$(sed -n 's/^sealcat: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	    local.err)
	run "$PYTHON3" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(open(sys.argv[2], "rb").read())
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())' "$lport" up
	assert_status 0
	[ "$output" = "$(sha256sum <up)" ]
}

# local_port: the TCP port start_local's "listening on" line names.
local_port() {
	sed -n 's/^sealcat: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' local.err
}

port_open() {
	(exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

@test "redis-cli through connect --local to redis-server behind --forward" {
	command -v redis-server >/dev/null ||
	    skip "redis-server is not installed (Debian: redis-server)"
	command -v redis-cli >/dev/null ||
	    skip "redis-cli is not installed (Debian: redis-tools)"
	local rport
	rport=$(free_port)
	start_bg redis /dev/null redis-server --port "$rport" --bind 127.0.0.1 \
	    --save '' --appendonly no --daemonize no --dir "$BATS_TEST_TMPDIR"
	wait_until "$READY_S" port_open "$rport"
	start_listener --allow "$CLIENT_TOKEN" -k --forward "127.0.0.1:$rport"
	start_local --local 0 127.0.0.1 "$PORT"
	local lport
	lport=$(local_port)
	[ -n "$lport" ]
	run redis-cli -p "$lport" SET greeting 'hello through sealcat'
	assert_status 0
	[ "$output" = OK ]
	run redis-cli -p "$lport" GET greeting
	assert_status 0
	[ "$output" = 'hello through sealcat' ]
	# A 1 MB value both ways (-x takes the last argument from stdin),
	# in a fresh session each time.
	head -c 750000 /dev/urandom | base64 -w0 >big
	run redis-cli -p "$lport" -x SET big <big
	assert_status 0
	[ "$output" = OK ]
	redis-cli -p "$lport" --no-raw STRLEN big >len
	[ "$(cat len)" = "(integer) $(wc -c <big)" ]
	redis-cli -p "$lport" GET big | head -c "$(wc -c <big)" >got
	assert_same_file big got
	wait_until "$READY_S" bash -c '[ "$(grep -c "$1" local.err)" -ge 5 ]' _ \
	    "^sealcat: connection from"
}

# start_sshd: a real sshd on a free loopback port (SSHD_PORT) with a host
# key made here and ./client_key authorized for the user running the test
# (root in CI).  Skips, with sshd -t's reason, where sshd cannot run.
start_sshd() {
	[ -x /usr/sbin/sshd ] || skip "sshd is not installed (Debian: openssh-server)"
	command -v ssh >/dev/null || skip "ssh is not installed (Debian: openssh-client)"
	mkdir -p sshd
	ssh-keygen -q -t ed25519 -N '' -f sshd/host_key
	ssh-keygen -q -t ed25519 -N '' -f client_key
	cp client_key.pub sshd/authorized_keys
	chmod 600 sshd/authorized_keys
	SSHD_PORT=$(free_port)
	cat >sshd/sshd_config <<CONF
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $BATS_TEST_TMPDIR/sshd/host_key
AuthorizedKeysFile $BATS_TEST_TMPDIR/sshd/authorized_keys
PidFile $BATS_TEST_TMPDIR/sshd/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
LogLevel VERBOSE
CONF
	# sshd wants its privilege separation directory to exist.
	[ -d /run/sshd ] || mkdir -p /run/sshd 2>/dev/null || true
	local why
	if ! why=$(/usr/sbin/sshd -t -f sshd/sshd_config 2>&1); then
		skip "sshd -t refuses to run here: $why"
	fi
	start_bg sshd /dev/null /usr/sbin/sshd -D -e -f sshd/sshd_config
	wait_until "$READY_S" port_open "$SSHD_PORT"
}

@test "ssh through connect --local to a real sshd behind --forward" {
	start_sshd
	start_listener --allow "$CLIENT_TOKEN" -k --forward "127.0.0.1:$SSHD_PORT"
	start_local --local 0 127.0.0.1 "$PORT"
	local lport
	lport=$(local_port)
	[ -n "$lport" ]
	random_file up 2000000
	run timeout "$WATCHDOG" ssh -p "$lport" -o StrictHostKeyChecking=no \
	    -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
	    -o IdentitiesOnly=yes -o LogLevel=ERROR -F /dev/null \
	    -i client_key "$(id -un)@127.0.0.1" 'echo ok; sha256sum' <up
	assert_status 0
	[ "$output" = "ok
$(sha256sum <up)" ]
	assert_line_in sshd.err "Accepted publickey for $(id -un) from 127\.0\.0\.1"
	assert_line_in local.err "^sealcat: connection from 127\.0\.0\.1:[0-9]+, to 127\.0\.0\.1:$PORT$"
}

@test "--local: bad values are usage errors" {
	run "$SEALCAT" connect --local 70000 127.0.0.1 9000
	assert_status 2
	assert_one_line_error "^sealcat: --local: '70000' is not a port number"
	run "$SEALCAT" connect --local 9000 -e cat 127.0.0.1 9000
	assert_status 2
	assert_one_line_error "^sealcat: --local and --exec exclude each other"
	run "$SEALCAT" connect --unix-mode 0600 127.0.0.1 9000
	assert_status 2
	assert_one_line_error "^sealcat: --unix-mode is for --local unix:PATH"
}

# ---------------------------------------------- inetd and socket activation

@test "listen --inetd under socat EXEC: serves one session per connection" {
	random_file up 300000
	printf '%s\n' "$CLIENT_TOKEN" >authorized
	# socat splits EXEC: on ':', so the token comes from a file.
	start_bg socat /dev/null socat -d -d TCP-LISTEN:0,bind=127.0.0.1,fork \
	    EXEC:"$SEALCAT listen -v --inetd -i $SERVER_ID -A authorized --exec sha256sum"
	wait_for_line socat.err 'listening on AF=2 127\.0\.0\.1:[0-9]+$'
	PORT=$(sed -n 's/.*listening on AF=2 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	    socat.err)
	run connect_io up sum1 --peer "$SERVER_TOKEN"
	assert_status 0
	run connect_io up sum2 --peer "$SERVER_TOKEN"
	assert_status 0
	[ "$(cat sum1)" = "$(sha256sum <up)" ]
	[ "$(cat sum2)" = "$(sha256sum <up)" ]
	# socat hands over a socket pair, whose peer has no address.
	assert_line_in socat.err "^sealcat: connection from stdin$"
}

@test "listen --inetd: stdin must be a socket, and the plaintext goes elsewhere" {
	run "$SEALCAT" listen --inetd -i "$SERVER_ID" --allow-any --exec cat \
	    </dev/null
	assert_status 1
	assert_one_line_error "^sealcat: --inetd wants a connected socket on both stdin and stdout"
	run "$SEALCAT" listen --inetd --allow-any
	assert_status 2
	assert_one_line_error "^sealcat: --inetd takes stdin and stdout for the encrypted side — add --exec or --forward"
	run "$SEALCAT" listen --inetd --allow-any --exec cat 9000
	assert_status 2
	assert_one_line_error "^sealcat: --inetd takes no ADDRESS or PORT"
	run "$SEALCAT" listen --allow-any
	assert_status 2
	assert_one_line_error "^sealcat: expected \[ADDRESS\] PORT or unix:PATH \(no sockets were passed by systemd\)"
}

need_socket_activate() {
	command -v systemd-socket-activate >/dev/null ||
	    skip "systemd-socket-activate is not installed (Debian: systemd)"
}

@test "socket activation: listen -k serves sockets passed in LISTEN_FDS" {
	need_socket_activate
	random_file up 300000
	start_bg activate /dev/null systemd-socket-activate \
	    -l "$BATS_TEST_TMPDIR/act.sock" "$SEALCAT" listen -v -k \
	    -i "$SERVER_ID" --allow "$CLIENT_TOKEN" --exec sha256sum
	LISTENER_PID=$BG_PID
	wait_for_line activate.err "^Listening on $BATS_TEST_TMPDIR/act.sock"
	run connect_unix up sum1 "$BATS_TEST_TMPDIR/act.sock" \
	    --peer "$SERVER_TOKEN"
	assert_status 0
	run connect_unix up sum2 "$BATS_TEST_TMPDIR/act.sock" \
	    --peer "$SERVER_TOKEN"
	assert_status 0
	[ "$(cat sum1)" = "$(sha256sum <up)" ]
	[ "$(cat sum2)" = "$(sha256sum <up)" ]
	assert_line_in activate.err "^sealcat: listening on unix:$BATS_TEST_TMPDIR/act.sock \(from systemd\)$"
	# -k with --exec: one child each; the supervisor still runs.
	[ "$(grep -c '^sealcat: connection from' activate.err)" -eq 2 ]
	kill -TERM "$(pgrep -P "$LISTENER_PID" -x sealcat)"
	wait_bg "$LISTENER_PID"
	assert_status 143
	# The socket is systemd's, not ours: left alone.
	[ -S act.sock ]
}

@test "socket activation with Accept=yes (--inetd): a process per connection" {
	need_socket_activate
	random_file up 300000
	start_bg activate /dev/null systemd-socket-activate --inetd -a \
	    -l "$BATS_TEST_TMPDIR/acc.sock" "$SEALCAT" listen -v --inetd \
	    -i "$SERVER_ID" --allow "$CLIENT_TOKEN" --exec sha256sum
	wait_for_line activate.err "^Listening on $BATS_TEST_TMPDIR/acc.sock"
	run connect_unix up sum1 "$BATS_TEST_TMPDIR/acc.sock" \
	    --peer "$SERVER_TOKEN"
	assert_status 0
	[ "$(cat sum1)" = "$(sha256sum <up)" ]
	run connect_unix up sum2 "$BATS_TEST_TMPDIR/acc.sock" \
	    --peer "$SERVER_TOKEN"
	assert_status 0
	[ "$(cat sum2)" = "$(sha256sum <up)" ]
}

# unit_exec UNIT PORT: the ExecStart= command line of contrib/systemd/UNIT,
# continuation lines joined, with the binary under test, this test's
# credentials directory and the --forward target 127.0.0.1:PORT.
unit_exec() {
	sed -e ':a' -e '/\\$/N; s/\\\n//; ta' \
	    "$SEALCAT_SRCDIR/contrib/systemd/$1" | sed -n 's/^ExecStart=//p' |
	    sed -e "s|/usr/bin/sealcat|$SEALCAT|" \
	    -e "s|\${CREDENTIALS_DIRECTORY}|$BATS_TEST_TMPDIR/creds|g" \
	    -e "s|127\.0\.0\.1:5432|127.0.0.1:$2|"
}

@test "contrib/systemd: the units verify, and their ExecStart serves http.server" {
	need_socket_activate
	if command -v systemd-analyze >/dev/null; then
		mkdir units
		for u in sealcat-forward.socket sealcat-forward.service \
		    sealcat-inetd.socket sealcat-inetd@.service; do
			sed "s|/usr/bin/sealcat|$SEALCAT|; /^Documentation=/d" \
			    "$SEALCAT_SRCDIR/contrib/systemd/$u" >"units/$u"
		done
		run systemd-analyze verify units/sealcat-forward.socket \
		    units/sealcat-forward.service units/sealcat-inetd.socket
		assert_status 0
	fi
	mkdir -m 700 creds
	cp "$SERVER_ID" creds/id_x25519
	printf '%s\n' "$CLIENT_TOKEN" >creds/authorized_peers
	start_http web tcp
	local cmd
	cmd=$(unit_exec sealcat-forward.service "$HTTP_PORT")
	[[ $cmd == *" listen -k "* ]]
	start_bg activate /dev/null systemd-socket-activate \
	    -l "$BATS_TEST_TMPDIR/unit.sock" $cmd
	wait_for_line activate.err "^Listening on $BATS_TEST_TMPDIR/unit.sock"
	start_local --local 0 "unix:$BATS_TEST_TMPDIR/unit.sock"
	local lport
	lport=$(sed -n 's/^sealcat: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	    local.err)
	run curl -sS --max-time 60 -o got "http://127.0.0.1:$lport/blob"
	assert_status 0
	assert_same_file www/blob got

	# The Accept=yes variant, one process per connection.
	cmd=$(unit_exec sealcat-inetd@.service "$HTTP_PORT")
	[[ $cmd == *" listen --inetd "* ]]
	start_bg inetd /dev/null systemd-socket-activate --inetd -a \
	    -l "$BATS_TEST_TMPDIR/unit2.sock" $cmd
	wait_for_line inetd.err "^Listening on $BATS_TEST_TMPDIR/unit2.sock"
	printf 'GET /index.txt HTTP/1.0\r\n\r\n' >request
	run connect_unix request reply "$BATS_TEST_TMPDIR/unit2.sock" \
	    --peer "$SERVER_TOKEN"
	assert_status 0
	run tail -1 reply
	[ "$output" = 'hello from http.server' ]
}

# ------------------------------------------------------------------ --retry

# listen_to OUT ARGS...: a one-shot sealcat listen ARGS with stdout to OUT;
# for `run`.
listen_to() {
	local out=$1
	shift
	timeout "$WATCHDOG" "$SEALCAT" listen "$@" </dev/null >"$out"
}

# free_port: a TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
	"$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

@test "connect --retry waits for a listener started late (TCP and unix:)" {
	random_file up 300000
	PORT=$(free_port)
	start_bg client up "$SEALCAT" connect -v --retry 60 -i "$CLIENT_ID" \
	    --peer "$SERVER_TOKEN" 127.0.0.1 "$PORT"
	local client=$BG_PID
	wait_for_line client.err "^sealcat: 127\.0\.0\.1:$PORT is not listening yet — retrying for up to 60 s$"
	run listen_to listener.out -i "$SERVER_ID" --allow "$CLIENT_TOKEN" \
	    127.0.0.1 "$PORT"
	assert_status 0
	wait_bg "$client"
	assert_status 0
	assert_same_file up listener.out

	start_bg client2 up "$SEALCAT" connect -v --retry 60 -i "$CLIENT_ID" \
	    --peer "$SERVER_TOKEN" "unix:$BATS_TEST_TMPDIR/late.sock"
	client=$BG_PID
	wait_for_line client2.err "not listening yet"
	run listen_to listener2.out -i "$SERVER_ID" --allow "$CLIENT_TOKEN" \
	    "unix:$BATS_TEST_TMPDIR/late.sock"
	assert_status 0
	wait_bg "$client"
	assert_status 0
	assert_same_file up listener2.out
}

@test "connect --retry gives up after SECS with the last error" {
	PORT=$(free_port)
	local t0=$(now_ms)
	run "$SEALCAT" connect --retry 1 -i "$CLIENT_ID" --peer "$SERVER_TOKEN" \
	    127.0.0.1 "$PORT" </dev/null
	assert_status 1
	assert_one_line_error "^sealcat: cannot connect to 127\.0\.0\.1:$PORT: connection refused — is the listener running\?$"
	# Within the second asked for (and the last try), not at once.
	[ $(($(now_ms) - t0)) -ge 500 ]
	[ $(($(now_ms) - t0)) -lt 5000 ]
}

@test "connect --retry never retries a failed authentication" {
	local other
	other=$("$SEALCAT" keygen -o other)
	start_listener -k --allow "$CLIENT_TOKEN"
	local t0=$(now_ms)
	run connect_io /dev/null out --retry 60 --peer "$other"
	assert_status 1
	[[ $output == *"sealcat: "* ]]
	# One attempt, refused at once: nowhere near the 60 s.
	[ $(($(now_ms) - t0)) -lt 20000 ]
	[ "$(grep -c 'connection from' listener.err)" -eq 1 ]
}

@test "--retry: seconds only" {
	run "$SEALCAT" connect --retry 0 127.0.0.1 9000
	assert_status 2
	assert_one_line_error "^sealcat: --retry: '0' is not a number of seconds"
}
