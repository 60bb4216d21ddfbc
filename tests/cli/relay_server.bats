#!/usr/bin/env bats
# relay_server.bats - sealcat relay, with clients that speak the relay line
# protocol directly (relay_side.py, relay_many.py; PROTOCOL.md, "Relay
# protocol"): pairing in either order, bytes both ways intact, half-close
# and reset passed on, every refusal and limit, nameplates and their grace
# period, many pairs at once, and SIGTERM's grace period.

WATCHDOG=${WATCHDOG:-60}
load helpers

PY=${PYTHON3:-python3}
RELAY_SIDE=$SEALCAT_SRCDIR/tests/cli/relay_side.py
RELAY_MANY=$SEALCAT_SRCDIR/tests/cli/relay_many.py

setup() {
	common_setup
	ID_A=$(ident a)
	ID_B=$(ident b)
}

teardown() {
	pipe_teardown
}

# ident TEXT: a rendezvous id (64 lowercase hex digits) made from TEXT.
ident() {
	printf '%s' "$1" | sha256sum | cut -c1-64
}

# start_relay [ARGS...]: sealcat relay -v ARGS on 127.0.0.1 port 0, stderr
# to relay.err; sets RELAY_PID (the watchdog's) and PORT.
start_relay() {
	start_bg relay /dev/null "$SEALCAT" relay -v "$@" 127.0.0.1 0
	RELAY_PID=$BG_PID
	wait_listening relay
}

# side NAME IN REQUEST [OPTIONS...]: relay_side.py in the background, stdin
# from IN, stdout to NAME.out, stderr to NAME.err; sets BG_PID.
side() {
	local name=$1 in=$2
	shift 2
	start_bg "$name" "$in" "$PY" "$RELAY_SIDE" "$PORT" "$@"
}

# side_run REQUEST [OPTIONS...]: relay_side.py for `run`, stdin empty.
side_run() {
	timeout "$WATCHDOG" "$PY" "$RELAY_SIDE" "$PORT" "$@" </dev/null
}

# sealcat_of PID: the sealcat process the watchdog PID runs.
sealcat_of() {
	local i pid
	for ((i = 0; i < 1000; i++)); do
		if pid=$(pgrep -P "$1" -x sealcat); then
			echo "$pid"
			return 0
		fi
		sleep 0.01
	done
	echo "no sealcat process under $1" >&2
	return 1
}

# port_of PID: the TCP port sealcat process PID listens on (for a relay
# started without -v), within 10 s.
port_of() {
	local i port
	for ((i = 0; i < 1000; i++)); do
		port=$(ss -Hltnp | sed -n "s/.*:\([0-9]*\) .*pid=$1,.*/\1/p" |
		    head -1)
		if [ -n "$port" ]; then
			echo "$port"
			return 0
		fi
		sleep 0.01
	done
	echo "sealcat $1 never listened" >&2
	return 1
}

# free_port: a TCP port on 127.0.0.1 that nothing listened on just now.
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_lines FILE REGEX N: waits (10 s at most) until N lines of FILE match.
wait_lines() {
	local i
	for ((i = 0; i < 1000; i++)); do
		[ "$(grep -Ec -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
		sleep 0.01
	done
	echo "fewer than $3 lines of $1 match /$2/; it holds:" >&2
	cat "$1" >&2
	return 1
}

# transfer_both_ways FIRST: FIRST (listener or connector) registers and
# waits, then the other side comes; each sends a MiB of its own; both must
# receive the other's exactly and end with status 0.
transfer_both_ways() {
	local first=$1 lpid cpid
	random_file l.in 1048576
	random_file c.in 1048577
	start_relay
	if [ "$first" = listener ]; then
		side listener l.in "LISTEN $ID_A"
		lpid=$BG_PID
		wait_for_line relay.err 'waits for a connector'
		side connector c.in "CONNECT $ID_A"
		cpid=$BG_PID
	else
		side connector c.in "CONNECT $ID_A"
		cpid=$BG_PID
		wait_for_line relay.err 'waits for a listener'
		side listener l.in "LISTEN $ID_A"
		lpid=$BG_PID
	fi
	wait_bg "$lpid"
	assert_status 0
	wait_bg "$cpid"
	assert_status 0
	assert_line_in listener.err '^reply: OK$'
	assert_line_in connector.err '^reply: OK$'
	assert_same_file c.in listener.out
	assert_same_file l.in connector.out
	wait_for_line relay.err "pair ${ID_A:0:8} \(key\) ended after [0-9.]+ s: 1048576 bytes listener -> connector, 1048577 connector -> listener, done$"
}

@test "listener first, then connector: a MiB each way arrives intact" {
	transfer_both_ways listener
}

@test "connector first, then listener: a MiB each way arrives intact" {
	transfer_both_ways connector
}

# half_close SENDER RECEIVER: SENDER sends its file and a FIN; RECEIVER
# sends its own only after that FIN arrived, so the relay must pass the
# FIN on while the other direction still carries data.
half_close() {
	local sender=$1 receiver=$2 spid rpid
	local sverb rverb
	[ "$sender" = listener ] && sverb=LISTEN rverb=CONNECT ||
	    sverb=CONNECT rverb=LISTEN
	random_file s.in 300000
	random_file r.in 200000
	start_relay
	side "$sender" s.in "$sverb $ID_A"
	spid=$BG_PID
	wait_for_line relay.err 'waits for a'
	side "$receiver" r.in "$rverb $ID_A" --send-after-eof
	rpid=$BG_PID
	wait_bg "$rpid"
	assert_status 0
	wait_bg "$spid"
	assert_status 0
	assert_same_file s.in "$receiver.out"
	assert_same_file r.in "$sender.out"
	wait_for_line relay.err "pair ${ID_A:0:8} .* done$"
}

@test "half-close: the listener's FIN is passed on, the connector's data still flows" {
	half_close listener connector
}

@test "half-close: the connector's FIN is passed on, the listener's data still flows" {
	half_close connector listener
}

# reset_passed_on WHO OTHER: WHO resets right after OK; OTHER sees a
# reset (status 3), not an end of file, and nothing arrives.
reset_passed_on() {
	local who=$1 other=$2 wverb overb opid
	[ "$who" = listener ] && wverb=LISTEN overb=CONNECT ||
	    wverb=CONNECT overb=LISTEN
	hold_open o.in o.flag
	start_relay
	side "$other" o.in "$overb $ID_A"
	opid=$BG_PID
	wait_for_line relay.err 'waits for a'
	side "$who" /dev/null "$wverb $ID_A" --reset
	wait_bg "$BG_PID"
	assert_status 0
	wait_bg "$opid"
	assert_status 3
	assert_line_in "$other.err" '^reset$'
	[ ! -s "$other.out" ]
	wait_for_line relay.err "pair ${ID_A:0:8} .* reset by the $who$"
}

@test "a listener's reset reaches the connector as a reset" {
	reset_passed_on listener connector
}

@test "a connector's reset reaches the listener as a reset" {
	reset_passed_on connector listener
}

@test "garbage, an overlong line and a bad id are refused with ERROR" {
	start_relay
	run side_run 'GET / HTTP/1.1\r\nHost: relay\r\n\r\n' --raw
	assert_status 1
	[ "$output" = "reply: ERROR bad request" ]
	run side_run "$(printf 'A%.0s' {1..200})" --raw
	assert_status 1
	[ "$output" = "reply: ERROR line too long" ]
	run side_run "LISTEN ${ID_A^^}"
	assert_status 1
	[ "$output" = "reply: ERROR bad request" ]
	run side_run "CLAIM 0"
	assert_status 1
	[ "$output" = "reply: ERROR bad request" ]
	run side_run 'SEALCAT/1 Noise_XX_25519_ChaChaPoly_BLAKE2b\n' --raw
	assert_status 1
	[ "$output" = "reply: ERROR bad request" ]
	# The relay is still there for well-behaved clients.
	run side_run "CLAIM 5"
	assert_status 1
	[ "$output" = "reply: ERROR unknown nameplate" ]
}

@test "bytes before OK are refused: behind the line, and while waiting" {
	start_relay
	run side_run "LISTEN $ID_A" --extra 'SEALCAT/1 Noise'
	assert_status 1
	[ "$output" = "reply: ERROR unexpected data" ]
	side early /dev/null "LISTEN $ID_B" --extra x --extra-after go.flag
	wait_for_line relay.err 'waits for a connector'
	touch go.flag
	wait_bg "$BG_PID"
	assert_status 1
	[ "$(cat early.err)" = "reply: ERROR unexpected data" ]
	# The id is free again: a new listener waits on it and pairs.
	side listener /dev/null "LISTEN $ID_B"
	wait_lines relay.err 'waits for a connector' 2
	run side_run "CONNECT $ID_B"
	assert_status 0
	[ "$output" = "reply: OK" ]
}

@test "a second LISTEN for a waiting id gets 'id taken'; the first still pairs" {
	start_relay
	printf 'first\n' >l.in
	side listener l.in "LISTEN $ID_A"
	local lpid=$BG_PID
	wait_for_line relay.err 'waits for a connector'
	run side_run "LISTEN $ID_A"
	assert_status 1
	[ "$output" = "reply: ERROR id taken" ]
	run side_run "ALLOCATE $ID_A"
	assert_status 1
	[ "$output" = "reply: ERROR id taken" ]
	printf 'second\n' >c.in
	side connector c.in "CONNECT $ID_A"
	wait_bg "$BG_PID"
	assert_status 0
	[ "$(cat connector.out)" = first ]
	wait_bg "$lpid"
	assert_status 0
	[ "$(cat listener.out)" = second ]
}

@test "a listener waits --wait, a connector --connect-wait, a request -w" {
	start_relay --wait 1 --connect-wait 1 -w 1
	run side_run "LISTEN $ID_A"
	assert_status 1
	[ "$output" = "reply: ERROR timeout" ]
	run side_run "CONNECT $ID_A"
	assert_status 1
	[ "$output" = "reply: ERROR no listener" ]
	run side_run 'SEALCAT-RELAY/1 LIS' --raw
	assert_status 1
	[ "$output" = "reply: ERROR timeout" ]
}

@test "--max-per-source: one connection too many from an address is refused" {
	start_relay --max-per-source 2
	side l1 /dev/null "LISTEN $ID_A"
	side l2 /dev/null "LISTEN $ID_B"
	wait_lines relay.err 'waits for a connector' 2
	run side_run "LISTEN $(ident c)"
	assert_status 1
	[ "$output" = "reply: ERROR limit reached" ]
}

@test "--source-rate: a burst beyond the rate is refused" {
	start_relay --source-rate 1
	run timeout "$WATCHDOG" "$PY" - "$PORT" <<-'EOF'
	import socket, sys
	port = int(sys.argv[1])
	socks = []
	for i in range(5):
	    s = socket.create_connection(('127.0.0.1', port), timeout=30)
	    s.sendall(b'SEALCAT-RELAY/1 CLAIM 9\n')
	    socks.append(s)
	for s in socks:
	    print(s.makefile('rb').readline().decode().strip())
	EOF
	echo "$output" >&2
	assert_status 0
	# The bucket holds one: the first goes through, the next four come
	# within far less than the second it takes to refill.
	[ "$(sed -n 1p <<<"$output")" = "ERROR unknown nameplate" ]
	[ "$(grep -c '^ERROR limit reached$' <<<"$output")" -ge 1 ]
}

@test "--max-pairs and --max-waiting: the relay says busy" {
	start_relay --max-pairs 1 --max-waiting 2
	hold_open l.in l.flag
	hold_open c.in c.flag
	side listener l.in "LISTEN $ID_A"
	wait_for_line relay.err 'waits for a connector'
	side connector c.in "CONNECT $ID_A"
	wait_for_line relay.err "pair ${ID_A:0:8} \(key\): listener"
	# One pair is the most: a second LISTEN waits, its CONNECT is busy.
	side l2 /dev/null "LISTEN $ID_B"
	wait_lines relay.err 'waits for a connector' 2
	run side_run "CONNECT $ID_B"
	assert_status 1
	[ "$output" = "reply: ERROR busy" ]
	# Two waiting (l2 and one more) is the most.
	side l3 /dev/null "LISTEN $(ident c)"
	wait_lines relay.err 'waits for a connector' 3
	run side_run "LISTEN $(ident d)"
	assert_status 1
	[ "$output" = "reply: ERROR busy" ]
}

@test "--idle: a silent pair is reset on both sides" {
	start_relay --idle 1
	hold_open l.in l.flag
	hold_open c.in c.flag
	side listener l.in "LISTEN $ID_A"
	local lpid=$BG_PID
	wait_for_line relay.err 'waits for a connector'
	side connector c.in "CONNECT $ID_A"
	wait_bg "$BG_PID"
	assert_status 3
	wait_bg "$lpid"
	assert_status 3
	wait_for_line relay.err "pair ${ID_A:0:8} .* idle timeout$"
}

@test "--max-bytes: a pair reaching the cap is reset, one within it is not" {
	start_relay --max-bytes 64K
	random_file big 1000000
	side listener /dev/null "LISTEN $ID_A"
	local lpid=$BG_PID
	wait_for_line relay.err 'waits for a connector'
	side connector big "CONNECT $ID_A"
	wait_bg "$lpid"
	assert_status 3
	[ "$(wc -c <listener.out)" -le 65536 ]
	cmp -s -n "$(wc -c <listener.out)" listener.out big
	wait_for_line relay.err "pair ${ID_A:0:8} .* byte limit reached$"
	# Exactly the cap, counting both ways: a clean end.
	head -c 65000 big >part1
	head -c 536 /dev/urandom >part2
	side listener part2 "LISTEN $ID_B"
	lpid=$BG_PID
	wait_for_line relay.err 'waits for a connector'
	side connector part1 "CONNECT $ID_B"
	wait_bg "$BG_PID"
	assert_status 0
	wait_bg "$lpid"
	assert_status 0
	assert_same_file part1 listener.out
	assert_same_file part2 connector.out
	wait_for_line relay.err "pair ${ID_B:0:8} .* done$"
}

@test "ALLOCATE and CLAIM: the lowest free nameplate, pairing, a try again" {
	start_relay --nameplate-grace 60
	printf 'photos\n' >l.in
	side listener l.in "ALLOCATE $ID_A"
	local lpid=$BG_PID
	wait_for_line listener.err '^reply: NAMEPLATE 1$'
	side other /dev/null "ALLOCATE $ID_B"
	wait_for_line other.err '^reply: NAMEPLATE 2$'
	printf 'thanks\n' >c.in
	side connector c.in "CLAIM 1"
	wait_bg "$BG_PID"
	assert_status 0
	[ "$(cat connector.out)" = photos ]
	wait_bg "$lpid"
	assert_status 0
	[ "$(cat listener.out)" = thanks ]
	wait_for_line relay.err "pair ${ID_A:0:8} \(code\) ended .* done$"
	# A wrong code's next try: LISTEN again on the id, CLAIM the same
	# number within the grace period.
	printf 'again\n' >l.in
	side listener l.in "LISTEN $ID_A"
	lpid=$BG_PID
	wait_lines relay.err "waits for a connector" 3
	run side_run "CLAIM 1"
	assert_status 0
	[ "${lines[0]}" = "reply: OK" ]
	[ "${lines[1]}" = again ]
	wait_bg "$lpid"
	assert_status 0
	# Another ALLOCATE of a bound id keeps its number.
	side listener /dev/null "ALLOCATE $ID_A"
	wait_for_line listener.err '^reply: NAMEPLATE 1$'
	# Nothing is bound to 3.
	run side_run "CLAIM 3"
	assert_status 1
	[ "$output" = "reply: ERROR unknown nameplate" ]
	# The nameplate never shows in the log.
	run grep -E 'NAMEPLATE|nameplate [0-9]' relay.err
	assert_status 1
}

@test "a nameplate lasts while its listener waits and for the grace period" {
	start_relay --nameplate-grace 1 --connect-wait 1
	side listener /dev/null "ALLOCATE $ID_A"
	wait_for_line listener.err '^reply: NAMEPLATE 1$'
	# Waiting past the grace period keeps the binding.
	sleep 2
	run side_run "CLAIM 1"
	assert_status 0
	[ "$output" = "reply: OK" ]
	wait_for_line relay.err "pair ${ID_A:0:8} \(code\) ended"
	# With no listener back, the number is free once the grace period
	# has passed (until then a CLAIM waits and finds no listener).
	local i
	for ((i = 0; i < 20; i++)); do
		run side_run "CLAIM 1"
		[[ $output == "reply: ERROR unknown nameplate" ]] && break
		[ "$output" = "reply: ERROR no listener" ]
	done
	[ "$output" = "reply: ERROR unknown nameplate" ]
	# And the lowest free number is 1 again.
	side listener /dev/null "ALLOCATE $ID_B"
	wait_for_line listener.err '^reply: NAMEPLATE 1$'
}

@test "50 pairs at once, 64 KiB each way, all intact" {
	start_relay --max-per-source 200 --source-rate 1000
	run timeout "$WATCHDOG" "$PY" "$RELAY_MANY" "$PORT" 50 65536
	echo "$output" >&2
	assert_status 0
	[ "$output" = "50 pairs ok" ]
	wait_lines relay.err ' bytes listener -> connector, 65536 connector -> listener, done$' 50
}

@test "SIGTERM: no new clients, waiting ones refused, a pair may finish" {
	start_relay
	hold_open l.in l.flag from-listener
	hold_open c.in c.flag from-connector
	side listener l.in "LISTEN $ID_A"
	local lpid=$BG_PID
	wait_for_line relay.err 'waits for a connector'
	side connector c.in "CONNECT $ID_A"
	local cpid=$BG_PID
	wait_for_line relay.err "pair ${ID_A:0:8} \(key\): listener"
	side waiting /dev/null "LISTEN $ID_B"
	local wpid=$BG_PID
	wait_lines relay.err 'waits for a connector' 2
	kill -TERM "$(sealcat_of "$RELAY_PID")"
	wait_bg "$wpid"
	assert_status 1
	[ "$(cat waiting.err)" = "reply: ERROR shutting down" ]
	run side_run "CONNECT $ID_A"
	assert_status 1
	[[ $output == *"Connection refused"* ]]
	# The pair still carries bytes both ways, then ends cleanly.
	touch l.flag c.flag
	wait_bg "$lpid"
	assert_status 0
	wait_bg "$cpid"
	assert_status 0
	[ "$(cat listener.out)" = from-connector ]
	[ "$(cat connector.out)" = from-listener ]
	wait_bg "$RELAY_PID"
	assert_status 143
	assert_line_in relay.err "pair ${ID_A:0:8} .* done$"
}

@test "SIGTERM: a pair still open after --shutdown-grace is reset" {
	start_relay --shutdown-grace 1
	hold_open l.in l.flag
	hold_open c.in c.flag
	side listener l.in "LISTEN $ID_A"
	local lpid=$BG_PID
	wait_for_line relay.err 'waits for a connector'
	side connector c.in "CONNECT $ID_A"
	local cpid=$BG_PID
	wait_for_line relay.err "pair ${ID_A:0:8} \(key\): listener"
	kill -TERM "$(sealcat_of "$RELAY_PID")"
	wait_bg "$RELAY_PID"
	assert_status 143
	assert_line_in relay.err "pair ${ID_A:0:8} .* relay shutting down$"
	wait_bg "$lpid"
	assert_status 3
	wait_bg "$cpid"
	assert_status 3
}

@test "the log: one line per pair at the normal level, none with -q, no full id" {
	local pid
	for level in normal quiet; do
		: >relay.err
		if [ $level = normal ]; then
			start_bg relay /dev/null "$SEALCAT" relay 127.0.0.1 0
		else
			start_bg relay /dev/null "$SEALCAT" relay -q 127.0.0.1 0
		fi
		RELAY_PID=$BG_PID
		pid=$(sealcat_of "$RELAY_PID")
		PORT=$(port_of "$pid")
		side listener /dev/null "LISTEN $ID_A"
		local lpid=$BG_PID
		run side_run "CONNECT $ID_A"
		assert_status 0
		wait_bg "$lpid"
		assert_status 0
		run side_run "CLAIM 77"
		assert_status 1
		kill -TERM "$pid"
		wait_bg "$RELAY_PID"
		assert_status 143
		cat relay.err >&2
		if [ $level = normal ]; then
			[ "$(wc -l <relay.err)" -eq 1 ]
			assert_line_in relay.err "^sealcat: pair ${ID_A:0:8} \(key\) ended after [0-9]+\.[0-9] s: 0 bytes listener -> connector, 0 connector -> listener, done$"
		else
			[ ! -s relay.err ]
		fi
		run grep -F "$ID_A" relay.err
		assert_status 1
	done
}

@test "relay: usage errors" {
	run "$SEALCAT" relay
	assert_status 2
	assert_one_line_error 'expected \[ADDRESS\] PORT'
	run "$SEALCAT" relay --max-pairs 0 7390
	assert_status 2
	assert_one_line_error '^sealcat: --max-pairs: .0. is not a valid count'
	run "$SEALCAT" relay --max-bytes 12Q 7390
	assert_status 2
	assert_one_line_error '^sealcat: --max-bytes: .12Q. is not a byte count'
	run "$SEALCAT" relay --wait 0 7390
	assert_status 2
	assert_one_line_error '^sealcat: --wait: .0. is not a number of seconds'
	run "$SEALCAT" relay -4 -6 7390
	assert_status 2
	assert_one_line_error '-4 and -6 exclude each other'
	run "$SEALCAT" relay 70000
	assert_status 2
	assert_one_line_error "PORT: '70000' is not a port number"
}

@test "socket activation: relay without a port serves the socket from systemd, as contrib/systemd/sealcat-relay.service runs it" {
	command -v systemd-socket-activate >/dev/null ||
	    skip "systemd-socket-activate is not installed (Debian: systemd)"
	if command -v systemd-analyze >/dev/null; then
		mkdir units
		for u in sealcat-relay.socket sealcat-relay.service; do
			sed "s|/usr/bin/sealcat|$SEALCAT|; /^Documentation=/d" \
			    "$SEALCAT_SRCDIR/contrib/systemd/$u" >"units/$u"
		done
		run systemd-analyze verify units/sealcat-relay.socket \
		    units/sealcat-relay.service
		assert_status 0
	fi
	local cmd
	cmd=$(sed -n 's/^ExecStart=//p' \
	    "$SEALCAT_SRCDIR/contrib/systemd/sealcat-relay.service" |
	    sed "s|/usr/bin/sealcat|$SEALCAT|")
	[[ $cmd == *" relay "* && $cmd != *7390* ]]
	PORT=$(free_port)
	random_file l.in 100000
	random_file c.in 100001
	start_bg activate /dev/null systemd-socket-activate \
	    -l "127.0.0.1:$PORT" $cmd -v
	wait_for_line activate.err "^Listening on 127.0.0.1:$PORT"
	side listener l.in "LISTEN $ID_A"
	local lpid=$BG_PID
	wait_for_line activate.err 'waits for a connector'
	assert_line_in activate.err "^sealcat: listening on 127.0.0.1:$PORT \(from systemd\)$"
	side connector c.in "CONNECT $ID_A"
	local cpid=$BG_PID
	wait_bg "$lpid"
	assert_status 0
	wait_bg "$cpid"
	assert_status 0
	assert_same_file c.in listener.out
	assert_same_file l.in connector.out
}

@test "the relay's sockets to loopback peers use reno, as sealcat's own do, whatever the default" {
	# A pacing congestion control (BBR) cuts a loopback stream into timed
	# bursts and costs every hop kernel time (tcp_tune() in
	# src/transport/tcp.c).  In a private network namespace whose default
	# is not reno, the relay's two sockets of a pair must still be reno.
	[ "$(id -u)" = 0 ] ||
	    skip "a private network namespace needs root (unshare -n)"
	run timeout "$WATCHDOG" unshare -n "$BASH" -c '
		ip link set lo up || exit 2
		alt=$(tr " " "\n" </proc/sys/net/ipv4/tcp_allowed_congestion_control |
		    grep -vx reno | head -1)
		[ -n "$alt" ] || exit 77
		sysctl -qw "net.ipv4.tcp_congestion_control=$alt" || exit 2
		exec "$0" "$1" "$2"' "$PY" "$SEALCAT_SRCDIR/tests/cli/relay_cc.py" \
	    "$SEALCAT"
	[ "$status" != 77 ] ||
	    skip "no congestion control but reno may be chosen here (net.ipv4.tcp_allowed_congestion_control)"
	echo "$output"
	assert_status 0
	[[ $output == *"system default: "* && $output != *"system default: reno"* ]]
	[ "$(grep -c '^relay socket to 127.0.0.1:[0-9]*: reno$' <<<"$output")" = 2 ]
}

@test "relay without a port and without sockets from systemd is a usage error" {
	run "$SEALCAT" relay
	assert_status 2
	[ "$output" = "sealcat: expected [ADDRESS] PORT (no sockets were passed by systemd) — see 'sealcat relay --help'" ]
	# Sockets passed to another process (LISTEN_PID not ours) are not ours.
	run env LISTEN_PID=1 LISTEN_FDS=1 "$SEALCAT" relay
	assert_status 2
	[ "$output" = "sealcat: expected [ADDRESS] PORT (no sockets were passed by systemd) — see 'sealcat relay --help'" ]
	# -4 and -6 choose what to bind; with systemd's sockets they are refused.
	command -v systemd-socket-activate >/dev/null || return 0
	PORT=$(free_port)
	start_bg activate /dev/null systemd-socket-activate \
	    -l "127.0.0.1:$PORT" "$SEALCAT" relay -4
	wait_for_line activate.err "^Listening on 127.0.0.1:$PORT"
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	wait_bg "$BG_PID"
	exec 5>&-
	assert_status 2
	assert_line_in activate.err "^sealcat: -4 and -6 choose the address of a port to bind; the sockets came from systemd — see 'sealcat relay --help'$"
}
