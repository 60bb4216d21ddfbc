#!/usr/bin/env bats
# signals.bats - SIGINT, SIGTERM and SIGHUP at each phase of a connection,
# and what an --exec command sees when its stream ends badly.  A signalled
# side ends by the signal (status 128 + n) without a message of its own; its
# peer is told in an ERROR frame once the session is up, and reports
# "interrupted" rather than a truncation.  An --exec command whose stream
# did not end properly is stopped with its whole process group, never
# handed an end of file that looks like the end of the stream.

WATCHDOG=${WATCHDOG:-60}
load helpers

setup() {
	common_setup
	make_identities
}

teardown() {
	pipe_teardown
}

# signum NAME: the number of signal NAME (TERM, INT, HUP).
signum() {
	kill -l "$1"
}

# sealcat_of PID: prints the sealcat process that the watchdog PID runs
# (within 10 s).
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

# feed FIFO FLAG TEXT: makes FIFO and, in the background, writes TEXT to
# it at once, then holds it open (no end of file) until FLAG exists.
feed() {
	local fifo=$1 flag=$2 text=$3
	mkfifo "$fifo"
	{
		printf '%s' "$text"
		for ((i = 0; i < WATCHDOG * 100; i++)); do
			[ -e "$flag" ] && break
			sleep 0.01
		done
	} >"$fifo" 3>&- &
	BG_PIDS+=("$!")
}

# error_lines FILE: the lines of FILE that are not -v progress.
error_lines() {
	grep -v -E '^sealcat: (listening on |connection from |[^ ]+ is (x25519|p256):|[^ ]+: (sent [0-9]+ bytes|our stream sent|confirmed it received|delivered its whole stream|its whole stream is here|rekeyed)|interrupted by SIG|the --exec command (exited|was killed|is still running|ignored SIGTERM))' \
	    "$1" || true
}

# assert_no_errors FILE: FILE holds -v progress lines at most.
assert_no_errors() {
	local errors
	errors=$(error_lines "$1")
	if [ -n "$errors" ]; then
		echo "unexpected messages in $1:" >&2
		echo "$errors" >&2
		return 1
	fi
}

# assert_one_error FILE REGEX: apart from -v progress, FILE holds exactly
# one line, and it matches REGEX.
assert_one_error() {
	output=$(error_lines "$1")
	assert_one_line_error "$2"
}

# alive PID: PID is a live process (not a zombie).
alive() {
	local stat
	stat=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $stat != Z* ]]
}

# wait_gone PIDFILE...: waits (10 s at most) until the process of each
# PIDFILE has ended.
wait_gone() {
	local f i
	for f in "$@"; do
		for ((i = 0; i < 1000; i++)); do
			alive "$(cat "$f")" || break
			sleep 0.01
		done
		if alive "$(cat "$f")"; then
			echo "process $(cat "$f") ($f) is still running:" >&2
			ps -o pid,pgid,stat,args -p "$(cat "$f")" >&2
			return 1
		fi
	done
}

# start_client NAME IN [ARGS...]: connect in the background with stdin
# from IN, stdout to NAME.out and stderr to NAME.err; sets CLIENT_PID (the
# watchdog's).
start_client() {
	local name=$1 in=$2
	shift 2
	start_bg "$name" "$in" "$SEALCAT" connect -i "$CLIENT_ID" \
	    --peer "$SERVER_TOKEN" "$@" 127.0.0.1 "$PORT"
	CLIENT_PID=$BG_PID
}

# A peer that accepts one connection, reads, and never answers: a client
# talking to it stays in the handshake.
STALL_PEER='
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
print("listening on 127.0.0.1:%d" % s.getsockname()[1], file=sys.stderr,
      flush=True)
c, _ = s.accept()
n = 0
while True:
    data = c.recv(65536)
    if not data:
        break
    n += len(data)
    print("received %d bytes" % n, file=sys.stderr, flush=True)
print("closed by the client", file=sys.stderr, flush=True)
'

@test "a signal to a listener waiting for a connection ends it quietly" {
	local sig pid
	for sig in TERM INT HUP; do
		start_listener --allow "$CLIENT_TOKEN"
		pid=$(sealcat_of "$LISTENER_PID")
		kill -s "$sig" "$pid"
		wait_bg "$LISTENER_PID"
		assert_status $((128 + $(signum "$sig")))
		assert_no_errors listener.err
		[ ! -s listener.out ]
	done
}

@test "a signal during the handshake ends the client quietly" {
	local sig pid
	for sig in TERM INT HUP; do
		start_bg stall /dev/null "${PYTHON3:-python3}" -c "$STALL_PEER"
		local stall=$BG_PID
		wait_listening stall
		printf 'never sent' >data
		start_client client data
		# Our line and message 1 are out; message 2 never comes.
		wait_for_line stall.err '^received [0-9]+ bytes$'
		pid=$(sealcat_of "$CLIENT_PID")
		kill -s "$sig" "$pid"
		wait_bg "$CLIENT_PID"
		assert_status $((128 + $(signum "$sig")))
		[ ! -s client.err ]
		[ ! -s client.out ]
		wait_bg "$stall"
		assert_status 0
		assert_line_in stall.err '^closed by the client$'
		if grep -q 'never sent' stall.err; then
			return 1
		fi
	done
}

@test "a signal during the handshake ends the listener quietly" {
	local pid line
	start_listener --allow "$CLIENT_TOKEN"
	# A client that sends its line and stops: the listener waits for
	# message 1.
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b\n' >&5
	wait_for_line listener.err '^sealcat: connection from '
	pid=$(sealcat_of "$LISTENER_PID")
	kill -s TERM "$pid"
	wait_bg "$LISTENER_PID"
	assert_status 143
	assert_no_errors listener.err
	[ ! -s listener.out ]
	# It hung up: whatever it answered, the connection ends.
	timeout 10 cat <&5 >answer
	exec 5<&-
}

@test "a signal during the relay: the peer is told, no extra byte either way" {
	local sig pid
	for sig in TERM INT HUP; do
		rm -f server_in client_in done
		feed server_in done 'from the listener'
		feed client_in done 'from the client'
		LISTEN_IN=server_in start_listener --allow "$CLIENT_TOKEN"
		start_client client client_in
		wait_for_content listener.out 'from the client'
		wait_for_content client.out 'from the listener'
		pid=$(sealcat_of "$CLIENT_PID")
		kill -s "$sig" "$pid"
		wait_bg "$CLIENT_PID"
		assert_status $((128 + $(signum "$sig")))
		[ ! -s client.err ]
		wait_bg "$LISTENER_PID"
		assert_status 1
		assert_one_error listener.err "^sealcat: peer 127\.0\.0\.1:[0-9]+ was interrupted \(SIG$sig\) before the end of its stream — what was received is incomplete$"
		[ "$(cat listener.out)" = 'from the client' ]
		[ "$(cat client.out)" = 'from the listener' ]
		touch done
	done
}

@test "a signal to the listener during the relay: the client is told" {
	local pid
	feed server_in done 'from the listener'
	feed client_in done 'from the client'
	LISTEN_IN=server_in start_listener --allow "$CLIENT_TOKEN"
	start_client client client_in
	wait_for_content listener.out 'from the client'
	wait_for_content client.out 'from the listener'
	pid=$(sealcat_of "$LISTENER_PID")
	kill -s TERM "$pid"
	wait_bg "$LISTENER_PID"
	assert_status 143
	assert_no_errors listener.err
	assert_line_in listener.err '^sealcat: interrupted by SIGTERM'
	wait_bg "$CLIENT_PID"
	assert_status 1
	output=$(cat client.err)
	assert_one_line_error "^sealcat: peer 127\.0\.0\.1:$PORT was interrupted \(SIGTERM\) before the end of its stream — what was received is incomplete$"
	[ "$(cat listener.out)" = 'from the client' ]
	[ "$(cat client.out)" = 'from the listener' ]
	touch done
}

@test "a signal after our CLOSE was sent: the peer has our whole stream, and learns its own was not confirmed" {
	local pid
	# The listener's input is empty: its CLOSE goes right after the
	# handshake, and the client closes its output when it arrives.
	feed client_in done ''
	mkfifo client_fifo
	{ cat client_fifo >client.out; touch client.eof; } 3>&- &
	BG_PIDS+=("$!")
	start_listener --allow "$CLIENT_TOKEN"
	# The watchdog must not hold the FIFO open: sh opens it for sealcat.
	timeout "$WATCHDOG" sh -c 'exec "$0" "$@" >client_fifo' \
	    "$SEALCAT" connect -i "$CLIENT_ID" --peer "$SERVER_TOKEN" \
	    127.0.0.1 "$PORT" <client_in 2>client.err 3>&- &
	CLIENT_PID=$!
	BG_PIDS+=("$CLIENT_PID")
	wait_for_file client.eof
	pid=$(sealcat_of "$LISTENER_PID")
	kill -s TERM "$pid"
	wait_bg "$LISTENER_PID"
	assert_status 143
	assert_no_errors listener.err
	# ERROR may follow our CLOSE until our DONE has gone too: the client
	# learns at once that the listener stopped before it confirmed the
	# client's stream, and does not call the listener's own (complete)
	# stream truncated.
	wait_bg "$CLIENT_PID"
	assert_status 1
	run cat client.err
	assert_one_line_error "^sealcat: peer 127\.0\.0\.1:$PORT was interrupted \(SIGTERM\) before it confirmed our stream — it may not have all of it$"
	touch done
	[ ! -s client.out ]
	[ ! -s listener.out ]
}

@test "a truncated --exec pipeline: every process of it is stopped, no marker" {
	feed client_in done 'part of the stream'
	start_listener --allow "$CLIENT_TOKEN" -e '
	    sleep 1000 >/dev/null 2>&1 & echo $! >bg.pid
	    echo $$ >sh.pid
	    sh -c "echo \$\$ >left.pid; exec cat" |
	    sh -c "echo \$\$ >right.pid; cat >got && echo complete >marker"'
	start_client client client_in
	wait_for_content got 'part of the stream'
	# The client dies without a word: the listener sees a truncation.
	kill -s KILL "$(sealcat_of "$CLIENT_PID")"
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_one_error listener.err "^sealcat: connection truncated: 127\.0\.0\.1:[0-9]+ closed the connection before the end of the stream"
	wait_gone sh.pid left.pid right.pid bg.pid
	[ ! -e marker ]
	[ "$(cat got)" = 'part of the stream' ]
	touch done
}

@test "an --exec command that ignores the end of its stream is killed after the grace period" {
	# The first connection's command ignores SIGTERM and its input; the
	# second's is cat.  One slot: the second waits for the first's.
	start_listener --allow "$CLIENT_TOKEN" -k --max-conns 1 -e '
	    if mkdir first 2>/dev/null; then
		echo $$ >pinned.pid; trap "" TERM; sleep 1000
	    else
		cat
	    fi'
	feed first_in done 'first'
	start_client first first_in
	local first=$CLIENT_PID
	wait_for_file pinned.pid
	wait_for_line listener.err ' is x25519:'
	kill -s KILL "$(sealcat_of "$first")"
	SECONDS=0
	printf 'second' >second_in
	run connect_io second_in second.out --peer "$SERVER_TOKEN" -w 50
	assert_status 0
	[ "$(cat second.out)" = second ]
	# Not before SIGTERM was given its grace period (5 s).
	((SECONDS >= 4))
	wait_gone pinned.pid
	assert_line_in listener.err '^sealcat: the --exec command was killed by signal 9$'
	touch done
}

@test "a signal to the serving process stops --exec: no end of file, no marker" {
	local sig pid
	for sig in TERM INT HUP; do
		rm -rf sh.pid cat.pid got marker client_in done
		feed client_in done 'half of the data'
		start_listener --allow "$CLIENT_TOKEN" -e '
		    echo $$ >sh.pid
		    sh -c "echo \$\$ >cat.pid; exec cat" >got &&
		    echo complete >marker'
		start_client client client_in
		wait_for_content got 'half of the data'
		pid=$(sealcat_of "$LISTENER_PID")
		kill -s "$sig" "$pid"
		wait_bg "$LISTENER_PID"
		assert_status $((128 + $(signum "$sig")))
		assert_no_errors listener.err
		wait_gone sh.pid cat.pid
		[ ! -e marker ]
		wait_bg "$CLIENT_PID"
		assert_status 1
		output=$(cat client.err)
		assert_one_line_error "^sealcat: peer 127\.0\.0\.1:$PORT was interrupted \(SIG$sig\) before the end of its stream — what was received is incomplete$"
		[ ! -s client.out ]
		touch done
	done
}

@test "listen -k: SIGTERM to the supervisor stops each connection's command" {
	local pid
	feed client_in done 'half of the data'
	start_listener --allow "$CLIENT_TOKEN" -k -e '
	    echo $$ >sh.pid
	    sh -c "echo \$\$ >cat.pid; exec cat" >got &&
	    echo complete >marker'
	start_client client client_in
	wait_for_content got 'half of the data'
	pid=$(sealcat_of "$LISTENER_PID")
	kill -s TERM "$pid"
	wait_bg "$LISTENER_PID"
	assert_status 143
	assert_no_errors listener.err
	wait_gone sh.pid cat.pid
	[ ! -e marker ]
	wait_bg "$CLIENT_PID"
	assert_status 1
	output=$(cat client.err)
	assert_one_line_error "^sealcat: peer 127\.0\.0\.1:$PORT was interrupted \(SIGTERM\) before the end of its stream — what was received is incomplete$"
	[ ! -s client.out ]
	touch done
}

@test "listen -k: SIGTERM to one connection's process stops its command, the rest goes on" {
	local pid child
	feed client_in done 'half of the data'
	start_listener --allow "$CLIENT_TOKEN" -k -e '
	    if mkdir first 2>/dev/null; then
		echo $$ >sh.pid
		sh -c "echo \$\$ >cat.pid; exec cat" >got &&
		echo complete >marker
	    else
		cat
	    fi'
	start_client client client_in
	wait_for_content got 'half of the data'
	pid=$(sealcat_of "$LISTENER_PID")
	child=$(pgrep -P "$pid" -x sealcat)
	kill -s TERM "$child"
	wait_gone sh.pid cat.pid
	[ ! -e marker ]
	wait_bg "$CLIENT_PID"
	assert_status 1
	output=$(cat client.err)
	assert_one_line_error "^sealcat: peer 127\.0\.0\.1:$PORT was interrupted \(SIGTERM\) before the end of its stream — what was received is incomplete$"
	# The supervisor goes on serving.
	printf 'next' >next_in
	run connect_io next_in next.out --peer "$SERVER_TOKEN"
	assert_status 0
	[ "$(cat next.out)" = next ]
	alive "$pid"
	touch done
}
