#!/usr/bin/env bats
# proxy_protocol.bats - listen --forward --proxy-protocol v1|v2: a real
# nginx with "listen ... proxy_protocol" behind the listener answers with
# the address it was told ($proxy_protocol_addr and _port), which must be
# the sealcat client's: the address the listener logged as "connection
# from".  curl reaches it through connect --local.

load helpers

NGINX=${NGINX:-/usr/sbin/nginx}

setup() {
	common_setup
	[ -x "$NGINX" ] || skip "no nginx at $NGINX (Debian: nginx-light)"
	make_identities
}

teardown() {
	pipe_teardown
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on just now.
free_port() {
	"${PYTHON3:-python3}" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# port_open HOST PORT: something accepts connections there (nginx waits
# for a PROXY header, so an HTTP request would hang).
port_open() {
	(exec 9<>"/dev/tcp/$1/$2") 2>/dev/null
}

# start_nginx LISTEN: nginx in the test directory listening on LISTEN
# ("127.0.0.1:PORT" or "unix:PATH") with proxy_protocol, answering every
# request with "ADDR PORT" from the PROXY header; waits until it accepts.
start_nginx() {
	mkdir -p nginx
	cat >nginx/nginx.conf <<-CONF
	master_process off;
	error_log stderr;
	pid $BATS_TEST_TMPDIR/nginx/nginx.pid;
	events {}
	http {
		access_log off;
		client_body_temp_path $BATS_TEST_TMPDIR/nginx;
		proxy_temp_path $BATS_TEST_TMPDIR/nginx;
		fastcgi_temp_path $BATS_TEST_TMPDIR/nginx;
		uwsgi_temp_path $BATS_TEST_TMPDIR/nginx;
		scgi_temp_path $BATS_TEST_TMPDIR/nginx;
		server {
			listen $1 proxy_protocol;
			location / {
				return 200 "\$proxy_protocol_addr \$proxy_protocol_port\n";
			}
		}
	}
	CONF
	start_bg nginx /dev/null "$NGINX" -p "$BATS_TEST_TMPDIR/nginx" \
	    -c "$BATS_TEST_TMPDIR/nginx/nginx.conf" -g 'daemon off;'
	NGINX_PID=$BG_PID
	if [[ $1 == unix:* ]]; then
		wait_until "$READY_S" test -S "${1#unix:}"
	else
		wait_until "$READY_S" port_open "${1%:*}" "${1##*:}"
	fi
}

# start_local ARGS...: sealcat connect -v --local 0 ARGS; sets LPORT.
start_local() {
	start_bg local /dev/null "$SEALCAT" connect -v -i "$CLIENT_ID" \
	    --peer "$SERVER_TOKEN" --local 0 "$@"
	wait_for_line local.err '^sealcat: listening on 127\.0\.0\.1:[0-9]+$'
	LPORT=$(sed -n 's/^sealcat: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	    local.err)
}

# check_through VERSION FORWARD: nginx behind listen --forward FORWARD
# --proxy-protocol VERSION sees the client's address and port.
check_through() {
	start_listener --allow "$CLIENT_TOKEN" -k --forward "$2" \
	    --proxy-protocol "$1"
	local lport=$PORT
	start_local 127.0.0.1 "$PORT"
	run curl -sS --max-time 60 "http://127.0.0.1:$LPORT/"
	assert_status 0
	# The client's port is the one its session connected from, as the
	# listener logged it; not nginx's, ours or the local port.
	wait_for_line listener.err '^sealcat: connection from 127\.0\.0\.1:[0-9]+$'
	local cport
	cport=$(sed -n 's/^sealcat: connection from 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	    listener.err | head -n 1)
	[ -n "$cport" ]
	if [ "$output" != "127.0.0.1 $cport" ]; then
		echo "nginx saw '$output', the client is 127.0.0.1:$cport" >&2
		return 1
	fi
	[ "$cport" != "$lport" ] && [ "$cport" != "$LPORT" ]
}

@test "--proxy-protocol v1: nginx sees the client's address and port" {
	local np
	np=$(free_port)
	start_nginx "127.0.0.1:$np"
	check_through v1 "127.0.0.1:$np"
	[ "$output" != "127.0.0.1 $np" ]
}

@test "--proxy-protocol v2: nginx sees the client's address and port" {
	local np
	np=$(free_port)
	start_nginx "127.0.0.1:$np"
	check_through v2 "127.0.0.1:$np"
}

@test "--proxy-protocol v1 and v2 to nginx on a Unix socket (--forward unix:)" {
	start_nginx "unix:$BATS_TEST_TMPDIR/n.sock"
	check_through v1 "unix:$BATS_TEST_TMPDIR/n.sock"
	pipe_teardown
	BG_PIDS=()
	start_nginx "unix:$BATS_TEST_TMPDIR/n2.sock"
	check_through v2 "unix:$BATS_TEST_TMPDIR/n2.sock"
}

@test "a client on a Unix socket: UNKNOWN (v1) and LOCAL (v2), no address" {
	local v
	for v in v1 v2; do
		start_nginx "unix:$BATS_TEST_TMPDIR/n$v.sock"
		start_bg listener /dev/null "$SEALCAT" listen -v -i "$SERVER_ID" \
		    --allow "$CLIENT_TOKEN" -k \
		    --forward "unix:$BATS_TEST_TMPDIR/n$v.sock" \
		    --proxy-protocol "$v" "unix:$BATS_TEST_TMPDIR/e$v.sock"
		wait_for_line listener.err "^sealcat: listening on unix:"
		start_local "unix:$BATS_TEST_TMPDIR/e$v.sock"
		run curl -sS --max-time 60 "http://127.0.0.1:$LPORT/"
		assert_status 0
		# nginx takes UNKNOWN and LOCAL, and then knows no address.
		[ "$output" = " " ]
		pipe_teardown
		BG_PIDS=()
	done
}

@test "--proxy-protocol: a bad version and no --forward are usage errors" {
	run "$SEALCAT" listen --allow-any --forward 127.0.0.1:80 \
	    --proxy-protocol v3 9000
	assert_status 2
	assert_one_line_error "^sealcat: --proxy-protocol wants v1 or v2, not 'v3' — see 'sealcat listen --help'$"
	run "$SEALCAT" listen --allow-any --proxy-protocol v1 9000
	assert_status 2
	assert_one_line_error "^sealcat: --proxy-protocol is for --forward — add --forward HOST:PORT or unix:PATH, or drop it — see 'sealcat listen --help'$"
}

@test "--proxy-protocol with --via: a usage error, the relay hides the client" {
	# Refused before the relay is reached: nothing listens on port 1.
	local v
	for v in v1 v2; do
		run "$SEALCAT" listen --allow-any --via 127.0.0.1:1 \
		    --forward 127.0.0.1:80 --proxy-protocol "$v"
		assert_status 2
		assert_one_line_error "^sealcat: --proxy-protocol cannot name clients that come through --via \(the relay hides their addresses\) — drop --proxy-protocol, or listen on a port the clients reach — see 'sealcat listen --help'$"
	done
}
