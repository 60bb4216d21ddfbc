#!/usr/bin/env bats
# proxy.bats - connect --proxy through real proxies on loopback: danted
# (SOCKS5, with and without RFC 1929 user names), tinyproxy (HTTP CONNECT)
# and socks5_server.py (which records what a client asked for); their
# refusals, a proxy killed mid-stream, --retry and --local through them.

load helpers

setup() {
	common_setup
	make_identities
	PYTHON3=${PYTHON3:-python3}
}

teardown() {
	pipe_teardown
	if [ -n "${ADDED_USER-}" ]; then
		userdel "$ADDED_USER" 2>/dev/null || true
	fi
}

free_port() {
	"$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_open() {
	(exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# run_proxy NAME CMD...: starts the proxy CMD (its configuration already
# written for PROXY_PORT) as NAME and waits until its port takes
# connections; PROXY_NAME is NAME, for kill_proxy.
run_proxy() {
	PROXY_NAME=$1
	shift
	start_bg "$PROXY_NAME" /dev/null "$@"
	wait_until "$READY_S" port_open "$PROXY_PORT"
}

# kill_proxy: SIGKILL to the proxy and every process it started (danted
# forks helpers that carry the data), as if the machine under it died.
kill_proxy() {
	local pid=${BG_PID_OF[$PROXY_NAME]}
	kill -KILL $(descendants "$pid") 2>/dev/null || true
	# Reaped here, quietly: the shell would print "Killed" for it.
	wait "$pid" 2>/dev/null || true
}

# danted_conf METHOD [RULES...]: a danted.conf on PROXY_PORT with
# socksmethod METHOD (none, username) and RULES before the final pass.
danted_conf() {
	local method=$1
	shift
	cat <<CONF
logoutput: stderr
internal: 127.0.0.1 port = $PROXY_PORT
external: lo
socksmethod: $method
clientmethod: none
user.privileged: root
user.unprivileged: root
client pass { from: 0/0 to: 0/0 }
CONF
	printf '%s\n' "$@"
	echo "socks pass { from: 0/0 to: 0/0 log: connect error }"
}

# start_danted [RULES...]: danted on a free port (PROXY_PORT), no auth.
start_danted() {
	[ -x /usr/sbin/danted ] || skip "danted is not installed (Debian: dante-server)"
	PROXY_PORT=$(free_port)
	danted_conf none "$@" >danted.conf
	run_proxy danted /usr/sbin/danted -f danted.conf
}

# start_danted_auth: danted on PROXY_PORT taking only RFC 1929 user names
# and passwords, which it checks against the system's password database,
# and a system user for it (PROXY_USER, password PROXY_PASS) that
# teardown removes.  Needs root, as CI has.
start_danted_auth() {
	[ -x /usr/sbin/danted ] || skip "danted is not installed (Debian: dante-server)"
	[ "$(id -u)" -eq 0 ] ||
	    skip "danted checks passwords in the system's database; adding a user to it needs root"
	PROXY_USER=scp${BATS_ROOT_PID:-$$}t$BATS_TEST_NUMBER
	PROXY_PASS="pw-$RANDOM$RANDOM:x"
	useradd -M -N -s /usr/sbin/nologin "$PROXY_USER"
	ADDED_USER=$PROXY_USER
	printf '%s:%s\n' "$PROXY_USER" "$PROXY_PASS" | chpasswd
	PROXY_PORT=$(free_port)
	danted_conf username >danted.conf
	run_proxy danted /usr/sbin/danted -f danted.conf
}

# start_tinyproxy [LINES...]: tinyproxy on a free port (PROXY_PORT).
start_tinyproxy() {
	[ -x /usr/bin/tinyproxy ] || skip "tinyproxy is not installed (Debian: tinyproxy)"
	PROXY_PORT=$(free_port)
	{
		echo "Port $PROXY_PORT"
		echo "Listen 127.0.0.1"
		echo "Timeout 60"
		echo "MaxClients 10"
		printf '%s\n' "$@"
	} >tinyproxy.conf
	run_proxy tinyproxy /usr/bin/tinyproxy -d -c tinyproxy.conf
}

# start_recorder [USER PASS]: socks5_server.py, which logs what clients
# ask for to socks.log (and wants USER PASS if given), on PROXY_PORT.
start_recorder() {
	start_bg socks /dev/null "$PYTHON3" \
	    "$SEALCAT_SRCDIR/tests/cli/socks5_server.py" "$BATS_TEST_TMPDIR/socks.log" \
	    "$@"
	PROXY_NAME=socks
	local port=${PORT-}
	wait_listening socks
	PROXY_PORT=$PORT
	PORT=$port
}

@test "connect --proxy socks5:// carries a transfer through danted" {
	start_danted
	random_file up 500000
	start_listener --allow "$CLIENT_TOKEN"
	run connect_io up /dev/null -v --peer "$SERVER_TOKEN" \
	    --proxy "socks5://127.0.0.1:$PROXY_PORT"
	assert_status 0
	assert_line_in <(echo "$output") "^sealcat: via proxy socks5://127\.0\.0\.1:$PROXY_PORT$"
	# The peer is named by the target asked for, not by the proxy that
	# carries the connection.
	assert_line_in <(echo "$output") "^sealcat: 127\.0\.0\.1:$PORT is x25519:"
	! grep -q "127\.0\.0\.1:$PROXY_PORT is " <<<"$output"
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
	# The proxy is what is down: the hint is about it, not a listener.
	assert_one_line_error "^sealcat: cannot connect to proxy socks5://127\.0\.0\.1:$p: connection refused — start the proxy, or fix --proxy \(or SEALCAT_PROXY\)$"
	[[ $output != *hunter2* ]]
}

@test "the target's name goes to the proxy unresolved; known_peers keys it as direct" {
	start_recorder
	start_listener --allow "$CLIENT_TOKEN"
	echo hello >up
	CONNECT_ADDR=localhost run connect_io up /dev/null --trust-new \
	    --proxy "socks5://127.0.0.1:$PROXY_PORT"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_same_file up listener.out
	assert_line_in socks.log "^3 localhost $PORT$"
	assert_line_in "$XDG_CONFIG_HOME/sealcat/known_peers" "^localhost:$PORT "
}

@test "SEALCAT_PROXY with credentials: not in /proc/PID/cmdline; --proxy none overrides it" {
	start_recorder carol 'p@ss:w0rd'
	start_listener --allow "$CLIENT_TOKEN"
	mkfifo in
	SEALCAT_PROXY="socks5://carol:p%40ss%3Aw0rd@127.0.0.1:$PROXY_PORT" start_bg client in \
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

# ------------------------------------------- username authentication (RFC 1929)

@test "danted with socksmethod username: the right password passes, a wrong one is refused" {
	start_danted_auth
	start_listener --allow "$CLIENT_TOKEN"
	random_file up 300000
	run connect_io up /dev/null --peer "$SERVER_TOKEN" \
	    --proxy "socks5://$PROXY_USER:${PROXY_PASS//:/%3A}@127.0.0.1:$PROXY_PORT"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file up listener.out
	assert_line_in danted.err "username%$PROXY_USER@127\.0\.0\.1"

	# A wrong password: danted's refusal, once, even with --retry.
	start_listener --allow "$CLIENT_TOKEN"
	local t0
	t0=$(now_ms)
	run connect_io /dev/null /dev/null --retry 60 --peer "$SERVER_TOKEN" \
	    --proxy "socks5://$PROXY_USER:wrong@127.0.0.1:$PROXY_PORT"
	assert_status 1
	assert_one_line_error "^sealcat: proxy socks5://127\.0\.0\.1:$PROXY_PORT rejected the user name or password \(status [0-9]+\) — check USER:PASS$"
	[[ $output != *wrong* ]]
	[ $(($(now_ms) - t0)) -lt 20000 ]
	# No credentials at all: danted offers no method we can use.
	run connect_io /dev/null /dev/null --retry 60 --peer "$SERVER_TOKEN" \
	    --proxy "socks5://127.0.0.1:$PROXY_PORT"
	assert_status 1
	assert_one_line_error "^sealcat: proxy socks5://127\.0\.0\.1:$PROXY_PORT accepts none of our authentication methods — give USER:PASS in the proxy URL$"
	# The listener never saw either.
	! grep -q 'connection from' listener.err
}

# ------------------------------------------------------ a proxy that dies

# feed_then_hold FIFO FILE BYTES FLAG: writes the first BYTES of FILE into
# FIFO, holds it open (a slow stream, stalled) until FLAG exists, then
# writes the rest.
feed_then_hold() {
	local fifo=$1 file=$2 bytes=$3 flag=$4
	mkfifo "$fifo"
	{
		head -c "$bytes" "$file"
		for ((i = 0; i < WATCHDOG * 100; i++)); do
			[ -e "$flag" ] && break
			sleep 0.01
		done
		tail -c +"$((bytes + 1))" "$file"
	} >"$fifo" 2>/dev/null 3>&- &
	BG_PIDS+=("$!")
}

# size_at_least FILE BYTES
size_at_least() {
	[ "$(wc -c <"$1")" -ge "$2" ]
}

# killed_mid_stream URL: a 4 MB stream through the proxy at URL stalls
# after 1 MB; the proxy is killed then.  Both sides exit 1 with one clear
# line, and the listener's output is a strict prefix of what was sent.
killed_mid_stream() {
	random_file big 4000000
	start_listener --allow "$CLIENT_TOKEN"
	feed_then_hold feed big 1000000 go
	start_bg client feed "$SEALCAT" connect -i "$CLIENT_ID" \
	    --peer "$SERVER_TOKEN" --proxy "$1" 127.0.0.1 "$PORT"
	local client=$BG_PID
	wait_until "$WATCHDOG" size_at_least listener.out 1000000
	# (Messages name the target asked for, not the proxy.)
	kill_proxy
	touch go
	wait_bg "$client"
	assert_status 1
	output=$(cat client.err) assert_one_line_error "^sealcat: the peer did not confirm it received everything: 127\.0\.0\.1:$PORT closed the connection — it may not have all of our stream$"
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_line_in listener.err "^sealcat: connection truncated: 127\.0\.0\.1:[0-9]+ closed the connection before the end of the stream — what was received is incomplete$"
	assert_prefix listener.out big
}

@test "danted killed mid-stream: both sides exit 1, the output a strict prefix" {
	start_danted
	killed_mid_stream "socks5://127.0.0.1:$PROXY_PORT"
}

@test "tinyproxy killed mid-stream: both sides exit 1, the output a strict prefix" {
	# ConnectPort needs the port before the listener has it: any.
	start_tinyproxy
	killed_mid_stream "http://127.0.0.1:$PROXY_PORT"
}

# ------------------------------------------------------------- --retry

# listen_to OUT ARGS...: a one-shot sealcat listen ARGS with stdout to OUT;
# for `run`.
listen_to() {
	local out=$1
	shift
	timeout "$WATCHDOG" "$SEALCAT" listen "$@" </dev/null >"$out"
}

# retry_late URL: connect --retry through the proxy at URL to a port where
# the listener starts only once the client is waiting.
retry_late() {
	random_file up 300000
	start_bg client up "$SEALCAT" connect -v --retry 60 -i "$CLIENT_ID" \
	    --peer "$SERVER_TOKEN" --proxy "$1" 127.0.0.1 "$PORT"
	local client=$BG_PID
	wait_for_line client.err "^sealcat: 127\.0\.0\.1:$PORT is not listening yet — retrying for up to 60 s$"
	run listen_to listener.out -i "$SERVER_ID" --allow "$CLIENT_TOKEN" \
	    127.0.0.1 "$PORT"
	assert_status 0
	wait_bg "$client"
	assert_status 0
	assert_same_file up listener.out
}

@test "--retry through danted: a refused target (SOCKS reply 5) is tried again" {
	start_danted
	PORT=$(free_port)
	retry_late "socks5://127.0.0.1:$PROXY_PORT"
}

@test "--retry through tinyproxy: its 500 'Unable to connect' is tried again" {
	PORT=$(free_port)
	start_tinyproxy "ConnectPort $PORT"
	retry_late "http://127.0.0.1:$PROXY_PORT"
}

@test "--retry through proxies: their rules and their logins are not tried again" {
	start_danted "socks block { from: 0/0 to: 0/0 port = 9 log: error }"
	local t0
	t0=$(now_ms)
	run "$SEALCAT" connect --retry 60 -i "$CLIENT_ID" --peer "$SERVER_TOKEN" \
	    --proxy "socks5://127.0.0.1:$PROXY_PORT" 127.0.0.1 9 </dev/null
	assert_status 1
	assert_one_line_error "connection not allowed by ruleset \(SOCKS reply 2\)"
	pipe_teardown
	BG_PIDS=()
	start_tinyproxy "ConnectPort 22" "BasicAuth alice s3cret"
	run "$SEALCAT" connect --retry 60 -i "$CLIENT_ID" --peer "$SERVER_TOKEN" \
	    --proxy "http://alice:wrong@127.0.0.1:$PROXY_PORT" 127.0.0.1 22 </dev/null
	assert_status 1
	assert_one_line_error "HTTP/1\.[01] 40[17] .* — check USER:PASS in the proxy URL$"
	run "$SEALCAT" connect --retry 60 -i "$CLIENT_ID" --peer "$SERVER_TOKEN" \
	    --proxy "http://alice:s3cret@127.0.0.1:$PROXY_PORT" 127.0.0.1 23 </dev/null
	assert_status 1
	assert_one_line_error "HTTP/1\.[01] 403 "
	# Three answers at once, nowhere near the 60 s of one --retry.
	[ $(($(now_ms) - t0)) -lt 30000 ]
}

@test "--retry gives up through a proxy with the proxy's last answer" {
	start_danted
	local closed
	closed=$(free_port)
	run "$SEALCAT" connect --retry 1 -i "$CLIENT_ID" --peer "$SERVER_TOKEN" \
	    --proxy "socks5://127.0.0.1:$PROXY_PORT" 127.0.0.1 "$closed" </dev/null
	assert_status 1
	assert_one_line_error "^sealcat: proxy socks5://127\.0\.0\.1:$PROXY_PORT refused the connection to 127\.0\.0\.1:$closed: connection refused \(SOCKS reply 5\) — "
}

# ------------------------------------------------------------ --local

@test "curl through connect --local --proxy to http.server behind --forward" {
	mkdir www
	random_file www/blob 300000
	start_bg web /dev/null "$PYTHON3" "$SEALCAT_SRCDIR/tests/cli/http_server.py" \
	    www tcp
	wait_listening web
	local http_port=$PORT
	start_listener --allow "$CLIENT_TOKEN" -k --forward "127.0.0.1:$http_port"
	local kind lport
	for kind in socks5 http; do
		if [ "$kind" = socks5 ]; then
			start_danted
		else
			start_tinyproxy "ConnectPort $PORT"
		fi
		start_bg local /dev/null "$SEALCAT" connect -v -i "$CLIENT_ID" \
		    --peer "$SERVER_TOKEN" --proxy "$kind://127.0.0.1:$PROXY_PORT" \
		    --local 0 127.0.0.1 "$PORT"
		wait_for_line local.err '^sealcat: listening on '
		lport=$(sed -n 's/^sealcat: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
		    local.err)
		run curl -sS --max-time 60 -o got1 "http://127.0.0.1:$lport/blob"
		assert_status 0
		assert_same_file www/blob got1
		run curl -sS --max-time 60 -o got2 "http://127.0.0.1:$lport/blob"
		assert_status 0
		assert_same_file www/blob got2
		assert_line_in local.err "^sealcat: via proxy $kind://127\.0\.0\.1:$PROXY_PORT$"
		kill "${BG_PID_OF[local]}" $(descendants "${BG_PID_OF[local]}")
		kill_proxy
	done
	[ "$(grep -c 'connection from' listener.err)" -eq 4 ]
}
