#!/usr/bin/env bats
# v2.bats - protocol version 2 end to end (issue 15): exit 0 only once the
# peer confirmed delivery with DONE, whatever goes wrong at the end (a full
# disk, a receiver killed, a frame dropped and the reset turned into a
# FIN), keepalives after our CLOSE, --fsync, rekey rounds (several, both
# sides at once, an invalid key), and a peer of protocol version 1.  Every
# test checks the exit status of both sides.  frame_proxy.py is the man in
# the middle that knows where frames are; v2_peer.py a client written
# from PROTOCOL.md on the independent crypto of the v2 test vectors.

load helpers

FRAME_PROXY=$SEALCAT_SRCDIR/tests/cli/frame_proxy.py
V2_PEER=$SEALCAT_SRCDIR/tests/cli/v2_peer.py

setup() {
	common_setup
	make_identities
	MOUNTED=
}

teardown() {
	pipe_teardown
	if [ -n "$MOUNTED" ]; then
		umount "$MOUNTED" || umount -l "$MOUNTED"
	fi
}

# start_frame_proxy ARGS...: frame_proxy.py between a client and the
# listener on $PORT; sets PROXY_PID and PROXY_PORT.
start_frame_proxy() {
	local listener_port=$PORT
	start_bg proxy /dev/null "${PYTHON3:-python3}" "$FRAME_PROXY" \
	    "$PORT" "$@"
	PROXY_PID=$BG_PID
	wait_listening proxy
	PROXY_PORT=$PORT
	PORT=$listener_port
}

# sealcat_of PID: the sealcat process that the watchdog PID runs.
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

# paced FIFO FILE PARTS SECS: makes FIFO and, in the background, writes
# FILE to it in PARTS equal parts, SECS apart: a stream that lasts while
# rekey rounds come and go.
paced() {
	local fifo=$1 file=$2 parts=$3 secs=$4 size part
	size=$(wc -c <"$file")
	part=$(((size + parts - 1) / parts))
	mkfifo "$fifo"
	{
		for ((i = 0; i < parts; i++)); do
			dd if="$file" bs="$part" skip="$i" count=1 \
			    iflag=fullblock status=none
			sleep "$secs"
		done
	} >"$fifo" 3>&- &
	BG_PIDS+=("$!")
}

# one_error FILE REGEX: of FILE's lines, only one is not -v progress, and
# it matches REGEX.
one_error() {
	output=$(grep -v -E '^sealcat: (listening on |connected to |connection from |[^ ]+ is (x25519|p256):|[^ ]+: (sent [0-9]+ bytes|our stream sent|confirmed it received|delivered its whole stream|its whole stream is here|rekeyed))' "$1" || true)
	assert_one_line_error "$2"
}

need_python_crypto() {
	"${PYTHON3:-python3}" -c 'import cryptography' 2>/dev/null ||
	    skip "python3 lacks pyca/cryptography, which v2_peer.py needs"
}

@test "disk full at the end: the receiver says why, and the sender exits 1 with its reason" {
	MNT=$BATS_TEST_TMPDIR/full
	mkdir "$MNT"
	if ! mount -t tmpfs -o size=1m tmpfs "$MNT" 2>mount.err; then
		skip "cannot mount a 1 MiB tmpfs here: $(cat mount.err)"
	fi
	MOUNTED=$MNT
	# 4 KiB more than fits: the last block fails, after the receiver's
	# own CLOSE (its stdin is empty) and after all of ours was sent.
	random_file data $((1024 * 1024 + 4096))
	start_bg listener /dev/null sh -c 'exec "$0" "$@" >"'"$MNT"'/out"' \
	    "$SEALCAT" listen -v -i "$SERVER_ID" --allow "$CLIENT_TOKEN" \
	    127.0.0.1 0
	LISTENER_PID=$BG_PID
	wait_listening listener
	run connect_io data client.out --peer "$SERVER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: 127\.0\.0\.1:$PORT could not deliver our stream: No space left on device — it does not have all of it$"
	wait_bg "$LISTENER_PID"
	assert_status 1
	one_error listener.err "^sealcat: cannot write standard output: No space left on device$"
	assert_prefix "$MNT/out" data
}

@test "the receiver killed after reading everything: the sender exits 1, unconfirmed" {
	local pid
	# 70000 bytes into a pipe nobody reads: 64 KiB of them reach it, the
	# rest waits in the receiver, which is killed before it can confirm.
	random_file data 70000
	mkfifo listener.fifo
	sleep "$WATCHDOG" <listener.fifo 3>&- &
	BG_PIDS+=("$!")
	start_bg listener /dev/null sh -c 'exec "$0" "$@" >listener.fifo' \
	    "$SEALCAT" listen -v -i "$SERVER_ID" --allow "$CLIENT_TOKEN" \
	    127.0.0.1 0
	LISTENER_PID=$BG_PID
	wait_listening listener
	start_bg client data "$SEALCAT" connect -v -i "$CLIENT_ID" \
	    --peer "$SERVER_TOKEN" 127.0.0.1 "$PORT"
	CLIENT_PID=$BG_PID
	wait_for_line client.err "our stream sent \(70000 bytes\)"
	pid=$(sealcat_of "$LISTENER_PID")
	kill -s KILL "$pid"
	wait_bg "$LISTENER_PID"
	assert_status 137
	wait_bg "$CLIENT_PID"
	assert_status 1
	one_error client.err "^sealcat: the peer did not confirm it received everything: 127\.0\.0\.1:$PORT (closed|reset) the connection — it may not have all of our stream$"
}

@test "a frame dropped and the reset turned into a FIN: the sender exits 1, unconfirmed" {
	# Five frames and CLOSE, all sent before the listener fails on the
	# frame after the dropped one: its end, made to look clean, comes
	# after our CLOSE (what made v1 exit 0).
	random_file data 300000
	start_listener --allow "$CLIENT_TOKEN"
	start_frame_proxy drop 2
	PORT=$PROXY_PORT run connect_io data client.out --peer "$SERVER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: the peer did not confirm it received everything: 127\.0\.0\.1:$PROXY_PORT closed the connection — it may not have all of our stream$"
	wait_bg "$LISTENER_PID"
	assert_status 1
	one_error listener.err "^sealcat: received a bad frame from 127\.0\.0\.1:[0-9]+: frame failed authentication — "
	assert_prefix listener.out data
	wait_bg "$PROXY_PID"
	assert_line_in proxy.err '^dropped$'
}

@test "--recv-only --keepalive 1 against --idle 3: keepalives after CLOSE keep the session up" {
	# The client's input is silent for 5 s, longer than its --idle 3:
	# only the listener's keepalives, sent after its CLOSE, keep it up.
	mkfifo client.in
	{ printf 'first '; sleep 5; printf 'second'; } >client.in 3>&- &
	BG_PIDS+=("$!")
	start_listener --allow "$CLIENT_TOKEN" --recv-only --keepalive 1
	run connect_io client.in client.out --peer "$SERVER_TOKEN" --idle 3
	assert_status 0
	[ -z "$output" ]
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = "first second" ]
}

@test "--fsync to a file: both exit 0 and the file is whole" {
	random_file data 2000000
	start_listener --allow "$CLIENT_TOKEN" --fsync
	run connect_io data client.out --peer "$SERVER_TOKEN" --fsync
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file listener.out data
}

@test "--fsync: the receiver's DONE goes out only after fsync() of its file" {
	command -v strace >/dev/null || skip "strace is not installed"
	random_file data 500000
	# LeakSanitizer (in a sanitizer build) cannot run under ptrace.
	ASAN_OPTIONS=detect_leaks=0 start_bg listener /dev/null \
	    strace -f -o trace -e trace=fsync,sendto "$SEALCAT" listen -v \
	    -i "$SERVER_ID" --allow "$CLIENT_TOKEN" --fsync 127.0.0.1 0
	LISTENER_PID=$BG_PID
	wait_listening listener
	run connect_io data client.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file listener.out data
	# The listener's last 19-byte frame is its DONE (its CLOSE, also 19
	# bytes, went first: its stdin is empty).
	local synced done_sent
	synced=$(grep -n 'fsync(1) *= 0' trace | head -n1 | cut -d: -f1)
	done_sent=$(grep -n -E 'sendto\([0-9]+, .*, 19, ' trace | tail -n1 |
	    cut -d: -f1)
	echo "fsync on line $synced, DONE on line $done_sent" >&2
	[ -n "$synced" ] && [ -n "$done_sent" ]
	[ "$synced" -lt "$done_sent" ]
}

@test "several rekey rounds interleaved with data both ways: every byte arrives, rounds in -v" {
	random_file to_server 2000000
	random_file to_client 1000000
	paced client.in to_server 8 0.5
	paced listener.in to_client 8 0.5
	LISTEN_IN=listener.in start_listener --allow "$CLIENT_TOKEN" \
	    --rekey-interval 1
	run connect_io client.in client.out --peer "$SERVER_TOKEN" -v \
	    --rekey-interval 1
	assert_status 0
	echo "$output" >client.err
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file listener.out to_server
	assert_same_file client.out to_client
	local client_rounds listener_rounds
	client_rounds=$(grep -c 'rekeyed (round [0-9]*)$' client.err)
	listener_rounds=$(grep -c 'rekeyed (round [0-9]*)$' listener.err)
	echo "rounds: client $client_rounds, listener $listener_rounds" >&2
	[ "$client_rounds" -ge 3 ]
	[ "$client_rounds" -eq "$listener_rounds" ]
}

@test "rekey rounds started by both sides at once: every byte arrives" {
	random_file to_server 1500000
	random_file to_client 1500000
	paced client.in to_server 6 0.5
	paced listener.in to_client 6 0.5
	LISTEN_IN=listener.in start_listener --allow "$CLIENT_TOKEN" \
	    --rekey-interval 1
	start_frame_proxy cross-rekey
	PORT=$PROXY_PORT run connect_io client.in client.out \
	    --peer "$SERVER_TOKEN" -v --rekey-interval 1
	assert_status 0
	echo "$output" >client.err
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file listener.out to_server
	assert_same_file client.out to_client
	wait_bg "$PROXY_PID"
	local crossed
	crossed=$(grep -c '^crossed$' proxy.err || true)
	echo "rounds started at once: $crossed" >&2
	[ "$crossed" -ge 2 ]
	[ "$(grep -c 'rekeyed (round' client.err)" -ge "$crossed" ]
	[ "$(grep -c 'rekeyed (round' listener.err)" -ge "$crossed" ]
}

@test "a REKEY with an invalid key (from a Python peer): protocol error, both exit 1" {
	need_python_crypto
	local suite
	for suite in x25519 p256; do
		[ "$suite" = x25519 ] || make_identities "$suite"
		start_listener --allow-any
		run "${PYTHON3:-python3}" "$V2_PEER" "$PORT" bad-rekey \
		    --suite "$suite"
		echo "$output" >&2
		assert_status 0
		assert_line_in /dev/stdin '^ERROR: received a bad frame$' \
		    <<<"$output"
		wait_bg "$LISTENER_PID"
		assert_status 1
		one_error listener.err "^sealcat: protocol error from 127\.0\.0\.1:[0-9]+: invalid REKEY key — "
		[ "$(cat listener.out)" = "before the bad key" ]
	done
}

@test "a Python implementation of v2: a rekey round, DONE both ways, both exit 0" {
	need_python_crypto
	local suite
	for suite in x25519 p256; do
		[ "$suite" = x25519 ] || make_identities "$suite"
		random_file to_server 200000
		printf 'from sealcat' >listener.in
		LISTEN_IN=listener.in start_listener --allow-any
		status=0
		timeout "$WATCHDOG" "${PYTHON3:-python3}" "$V2_PEER" "$PORT" \
		    session --suite "$suite" <to_server >peer.out 2>peer.err ||
		    status=$?
		cat peer.err >&2
		assert_status 0
		[ "$(cat peer.out)" = "from sealcat" ]
		wait_bg "$LISTENER_PID"
		assert_status 0
		assert_same_file listener.out to_server
		assert_line_in listener.err "rekeyed \(round 1\)$"
	done
}

@test "a peer speaking protocol version 1 is told to upgrade, by either role" {
	local v1='SEALCAT/1 Noise_XX_25519_ChaChaPoly_BLAKE2b'
	start_listener --allow "$CLIENT_TOKEN"
	run "${PYTHON3:-python3}" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.argv[2].encode() + b"\n")
print(s.makefile("rb").readline().decode().strip())
' "$PORT" "$v1"
	assert_status 0
	[ "$output" = "SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b" ]
	# A failure before authentication: the one-shot listener says so
	# and goes on waiting (it serves one authenticated session).
	wait_for_line listener.err "^sealcat: 127\.0\.0\.1:[0-9]+: peer speaks protocol version 1, upgrade it — "
	kill -0 "$LISTENER_PID"
	kill "$LISTENER_PID"
	wait_bg "$LISTENER_PID"
	one_error listener.err "^sealcat: 127\.0\.0\.1:[0-9]+: peer speaks protocol version 1, upgrade it — "

	start_bg server /dev/null "${PYTHON3:-python3}" -c '
import socket, sys
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(1)
print("listening on 127.0.0.1:%d" % l.getsockname()[1], file=sys.stderr,
      flush=True)
c, _ = l.accept()
c.sendall(sys.argv[1].encode() + b"\n")
c.recv(4096)
' "$v1"
	SERVER_PID=$BG_PID
	wait_listening server
	run connect_io /dev/null client.out --peer "$SERVER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: 127\.0\.0\.1:$PORT: peer speaks protocol version 1, upgrade it — "
	wait_bg "$SERVER_PID"
	assert_status 0
}

@test "--rekey-interval takes 0 to 604800 seconds" {
	run "$SEALCAT" connect --rekey-interval 604801 127.0.0.1 1
	assert_status 2
	assert_one_line_error "^sealcat: --rekey-interval: '604801' is not a number of seconds — use a whole number from 0 \(no timer\) to 604800$"
	run "$SEALCAT" listen --rekey-interval -1 127.0.0.1 0
	assert_status 2
	assert_one_line_error "^sealcat: --rekey-interval: '-1' is not a number of seconds"
}
