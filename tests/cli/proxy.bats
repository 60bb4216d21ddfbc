#!/usr/bin/env bats
# proxy.bats - connect --proxy through real proxies on loopback: danted
# (SOCKS5), tinyproxy (HTTP CONNECT) and socks5_server.py (which records
# what a client asked for).

load helpers

setup() {
	common_setup
	make_identities
	PYTHON3=${PYTHON3:-python3}
}

teardown() {
	pipe_teardown
}

free_port() {
	"$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_open() {
	(exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# start_danted [RULES...]: danted on a free port (PROXY_PORT), no auth.
start_danted() {
	[ -x /usr/sbin/danted ] || skip "danted is not installed"
	PROXY_PORT=$(free_port)
	{
		echo "logoutput: stderr"
		echo "internal: 127.0.0.1 port = $PROXY_PORT"
		echo "external: lo"
		echo "socksmethod: none"
		echo "clientmethod: none"
		echo "user.privileged: root"
		echo "user.unprivileged: root"
		echo "client pass { from: 0/0 to: 0/0 }"
		printf '%s\n' "$@"
		echo "socks pass { from: 0/0 to: 0/0 log: connect error }"
	} >danted.conf
	start_bg danted /dev/null /usr/sbin/danted -f danted.conf
	wait_until "$READY_S" port_open "$PROXY_PORT"
}

# start_tinyproxy [LINES...]: tinyproxy on a free port (PROXY_PORT).
start_tinyproxy() {
	[ -x /usr/bin/tinyproxy ] || skip "tinyproxy is not installed"
	PROXY_PORT=$(free_port)
	{
		echo "Port $PROXY_PORT"
		echo "Listen 127.0.0.1"
		echo "Timeout 60"
		echo "MaxClients 10"
		printf '%s\n' "$@"
	} >tinyproxy.conf
	start_bg tinyproxy /dev/null /usr/bin/tinyproxy -d -c tinyproxy.conf
	wait_until "$READY_S" port_open "$PROXY_PORT"
}

@test "connect --proxy socks5:// carries a transfer through danted" {
	start_danted
	random_file up 500000
	start_listener --allow "$CLIENT_TOKEN"
	run connect_io up /dev/null -v --peer "$SERVER_TOKEN" \
	    --proxy "socks5://127.0.0.1:$PROXY_PORT"
	assert_status 0
	assert_line_in <(echo "$output") "^sealcat: via proxy socks5://127\.0\.0\.1:$PROXY_PORT$"
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file up listener.out
}

@test "connect --proxy http:// carries a transfer through tinyproxy" {
	start_listener --allow "$CLIENT_TOKEN"
	start_tinyproxy "ConnectPort $PORT"
	random_file up 500000
	run connect_io up /dev/null --peer "$SERVER_TOKEN" \
	    --proxy "http://127.0.0.1:$PROXY_PORT"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file up listener.out
}

@test "a SOCKS refusal names danted's reply code" {
	start_danted "socks block { from: 0/0 to: 0/0 port = 9 log: error }"
	run "$SEALCAT" connect -i "$CLIENT_ID" --peer "$SERVER_TOKEN" \
	    --proxy "socks5://127.0.0.1:$PROXY_PORT" 127.0.0.1 9 </dev/null
	assert_status 1
	assert_one_line_error "^sealcat: proxy socks5://127\.0\.0\.1:$PROXY_PORT refused the connection to 127\.0\.0\.1:9: connection not allowed by ruleset \(SOCKS reply 2\) — "
	local closed
	closed=$(free_port)
	run "$SEALCAT" connect -i "$CLIENT_ID" --peer "$SERVER_TOKEN" \
	    --proxy "socks5://127.0.0.1:$PROXY_PORT" 127.0.0.1 "$closed" </dev/null
	assert_status 1
	assert_one_line_error "connection refused \(SOCKS reply 5\)"
}

@test "an HTTP refusal names tinyproxy's status line (403, 407)" {
	start_tinyproxy "ConnectPort 22"
	run "$SEALCAT" connect -i "$CLIENT_ID" --peer "$SERVER_TOKEN" \
	    --proxy "http://127.0.0.1:$PROXY_PORT" 127.0.0.1 23 </dev/null
	assert_status 1
	assert_one_line_error "^sealcat: proxy http://127\.0\.0\.1:$PROXY_PORT refused CONNECT 127\.0\.0\.1:23: HTTP/1\.[01] 403 "
	pipe_teardown
	BG_PIDS=()
	start_tinyproxy "ConnectPort 22" "BasicAuth alice s3cret"
	run "$SEALCAT" connect -i "$CLIENT_ID" --peer "$SERVER_TOKEN" \
	    --proxy "http://alice:wrong@127.0.0.1:$PROXY_PORT" 127.0.0.1 22 </dev/null
	assert_status 1
	assert_one_line_error "HTTP/1\.[01] 40[17] .* — check USER:PASS in the proxy URL$"
	[[ $output != *wrong* ]]
}

@test "a proxy that is down: exit 1, named without credentials" {
	local p
	p=$(free_port)
	run "$SEALCAT" connect -i "$CLIENT_ID" --peer "$SERVER_TOKEN" \
	    --proxy "socks5://bob:hunter2@127.0.0.1:$p" 127.0.0.1 9000 </dev/null
	assert_status 1
	assert_one_line_error "^sealcat: cannot connect to proxy socks5://127\.0\.0\.1:$p: connection refused"
	[[ $output != *hunter2* ]]
}

@test "the target's name goes to the proxy unresolved; known_peers keys it as direct" {
	start_bg socks /dev/null "$PYTHON3" \
	    "$SEALCAT_SRCDIR/tests/cli/socks5_server.py" "$BATS_TEST_TMPDIR/socks.log"
	local sp
	wait_listening socks
	sp=$PORT
	start_listener --allow "$CLIENT_TOKEN"
	echo hello >up
	CONNECT_ADDR=localhost run connect_io up /dev/null --trust-new \
	    --proxy "socks5://127.0.0.1:$sp"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_same_file up listener.out
	assert_line_in socks.log "^3 localhost $PORT$"
	assert_line_in "$XDG_CONFIG_HOME/sealcat/known_peers" "^localhost:$PORT "
}

@test "SEALCAT_PROXY with credentials: not in /proc/PID/cmdline; --proxy none overrides it" {
	start_bg socks /dev/null "$PYTHON3" \
	    "$SEALCAT_SRCDIR/tests/cli/socks5_server.py" "$BATS_TEST_TMPDIR/socks.log" \
	    carol 'p@ss:w0rd'
	local sp
	wait_listening socks
	sp=$PORT
	start_listener --allow "$CLIENT_TOKEN"
	mkfifo in
	SEALCAT_PROXY="socks5://carol:p%40ss%3Aw0rd@127.0.0.1:$sp" start_bg client in \
	    "$SEALCAT" connect -v -i "$CLIENT_ID" --peer "$SERVER_TOKEN" 127.0.0.1 "$PORT"
	local client=$BG_PID
	exec 8>in
	wait_for_line client.err "connected to"
	local pid
	pid=$(descendants "$client" | head -1)
	[ -n "$pid" ]
	! tr '\0' ' ' </proc/"$pid"/cmdline | grep -q w0rd
	echo data >&8
	exec 8>&-
	wait_bg "$client"
	assert_status 0
	assert_line_in socks.log "^auth carol ok$"
	! grep -q w0rd client.err
	wait_bg "$LISTENER_PID"
	[ "$(cat listener.out)" = data ]

	start_listener --allow "$CLIENT_TOKEN"
	echo direct >up
	SEALCAT_PROXY="socks5://127.0.0.1:1" run connect_io up /dev/null \
	    --peer "$SERVER_TOKEN" --proxy none
	assert_status 0
}

@test "malformed proxy URLs: exit 2 with a clear message" {
	local url
	for url in "ftp://h:1" "socks5://" "socks5://host" "socks5://h:0" \
	    "http://h:99999" "socks5://user@h:1" "http://h:1/path" \
	    "https://h:443" "socks5://u:%zz@h:1"; do
		run "$SEALCAT" connect --proxy "$url" 127.0.0.1 9000 </dev/null
		assert_status 2
		assert_one_line_error "^sealcat: --proxy: .* — use socks5://\[USER:PASS@\]HOST:PORT or http://\[USER:PASS@\]HOST:PORT, or none$"
	done
	SEALCAT_PROXY="gopher://x:1" run "$SEALCAT" connect 127.0.0.1 9000 </dev/null
	assert_status 2
	assert_one_line_error "^sealcat: SEALCAT_PROXY: not a proxy URL"
	run "$SEALCAT" connect --proxy "socks5://u:topsecret@h:1" unix:/tmp/x </dev/null
	assert_status 2
	[[ $output != *topsecret* ]]
}
