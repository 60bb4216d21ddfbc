#!/usr/bin/env bats
# flood.bats - 150 hostile connections (idle, garbage, or a preamble
# dribbled a byte at a time) against `listen -k --exec cat` with a short -w: the
# listener's descriptors and memory stay flat, it never runs more than
# --max-conns children, the handshake timeout frees every slot, and a real
# client is still served.  PROTOCOL.md's threat model says why this holds.

load helpers

FLOOD=150
MAX_CONNS=64		# listen's default --max-conns

setup() {
	common_setup
	make_identities
	printf 'hello through the flood\n' >msg
}

teardown() {
	pipe_teardown
}

# children_of PID: the PIDs whose parent is PID (all our processes are
# single-threaded, so the main thread's list is the whole list).
children_of() {
	local list=/proc/$1/task/$1/children f line rest ppid
	if [ -r "$list" ]; then
		tr ' ' '\n' <"$list" | grep .
		return 0
	fi
	for f in /proc/[0-9]*/stat; do
		line=$(cat "$f" 2>/dev/null) || continue
		rest=${line##*) }
		read -r _ ppid _ <<<"$rest"
		if [ "$ppid" = "$1" ]; then
			f=${f#/proc/}
			echo "${f%/stat}"
		fi
	done
}

# fd_count PID: open descriptors, or nothing when we may not look: sealcat
# makes itself non-dumpable, so unless we are root its /proc/PID/fd
# belongs to root.  The flood's closed_by_peer count covers that case: a
# descriptor the listener kept would keep its connection open.
fd_count() {
	if ls "/proc/$1/fd" >/dev/null 2>&1; then
		ls "/proc/$1/fd" | wc -l
	fi
}

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# start_flood MODE HOLD: flood.py in the background; waits until all its
# connections are up.  Sets FLOOD_PID (the watchdog's).
start_flood() {
	local i
	start_bg flood /dev/null "$PYTHON3" "$SEALCAT_SRCDIR/tests/cli/flood.py" \
	    "$PORT" "$FLOOD" "$1" "$2"
	FLOOD_PID=$BG_PID
	for ((i = 0; i < 1000; i++)); do
		grep -q "^connected $FLOOD\$" flood.out && return 0
		kill -0 "$FLOOD_PID" 2>/dev/null || break
		sleep 0.01
	done
	echo "flood.py did not connect $FLOOD times:" >&2
	cat flood.out flood.err >&2
	return 1
}

# The listening process itself: the watchdog's only child.
listener_process() {
	SERVER_PID=$(children_of "$LISTENER_PID")
	[ -n "$SERVER_PID" ]
	[ -d "/proc/$SERVER_PID" ]
	FD0=$(fd_count "$SERVER_PID")
	RSS0=$(rss_kb "$SERVER_PID")
}

# sample: the listener's descriptors, resident memory and children now,
# kept as maxima in FD_MAX, RSS_MAX and KIDS_MAX.
sample() {
	local n
	n=$(fd_count "$SERVER_PID")
	[ -n "$n" ] && [ "$n" -gt "${FD_MAX:-0}" ] && FD_MAX=$n
	n=$(rss_kb "$SERVER_PID")
	[ "$n" -gt "${RSS_MAX:-0}" ] && RSS_MAX=$n
	n=$(children_of "$SERVER_PID" | wc -l || true)
	[ "$n" -gt "${KIDS_MAX:-0}" ] && KIDS_MAX=$n
	KIDS=$n
	return 0
}

# client_through_flood DEADLINE: a real client sends msg and gets it back
# from cat while the flood goes on, sampling the listener meanwhile;
# fails if it takes more than DEADLINE seconds.
client_through_flood() {
	local start=$SECONDS
	start_bg client msg "$SEALCAT" connect -w 30 -i "$CLIENT_ID" \
	    --peer "$SERVER_TOKEN" 127.0.0.1 "$PORT"
	local client=$BG_PID
	while kill -0 "$client" 2>/dev/null; do
		sample
		sleep 0.05
	done
	wait_bg "$client"
	CLIENT_SECONDS=$((SECONDS - start))
	echo "# real client done after ${CLIENT_SECONDS} s (status $status)" >&3
	assert_status 0
	[ "$(cat client.out)" = "$(cat msg)" ]
	[ "$CLIENT_SECONDS" -le "$1" ]
}

# assert_bounded: nothing grew with the flood but the children, and they
# stayed within --max-conns.
assert_bounded() {
	echo "# listener: fds ${FD0:-?} -> max ${FD_MAX:-?}, RSS $RSS0 ->" \
	    "max $RSS_MAX kB, children max ${KIDS_MAX:-0}" >&3
	if [ -n "$FD0" ]; then
		[ "$FD_MAX" -le $((FD0 + 2)) ]
	else
		echo "# (not root: /proc/PID/fd of a non-dumpable process is" \
		    "closed to us; closed_by_peer stands in)" >&3
	fi
	[ "$RSS_MAX" -le $((RSS0 + 1024)) ]
	[ "${KIDS_MAX:-0}" -ge 1 ]
	[ "$KIDS_MAX" -le "$MAX_CONNS" ]
}

# wait_lines FILE TEXT COUNT SECONDS: FILE has COUNT lines containing TEXT
# within SECONDS.
wait_lines() {
	local i n=0
	for ((i = 0; i < $4 * 20; i++)); do
		n=$(grep -cF -- "$2" "$1" || true)
		[ "$n" -ge "$3" ] && break
		sleep 0.05
	done
	if [ "$n" -ne "$3" ]; then
		echo "expected $3 lines with '$2' in $1, found $n" >&2
		return 1
	fi
}

# wait_no_children SECONDS: every child has exited within SECONDS.
wait_no_children() {
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		sample
		[ "$KIDS" -eq 0 ] && return 0
		sleep 0.05
	done
	echo "the listener still has $KIDS children after $1 s" >&2
	return 1
}

@test "flood: $FLOOD idle connections hold no more than --max-conns slots, each for -w; a real client gets through" {
	# -w 4 leaves a slow (sanitizer) build time to fork --max-conns
	# children before the first of them times out.
	start_listener -k --exec cat -w 4 --allow "$CLIENT_TOKEN"
	listener_process
	start_flood idle 40
	# The first --max-conns are in children, the rest wait in the
	# kernel's queue; the client queues behind them and is served as
	# the -w 4 timeouts free slots: three rounds of 4 s.
	client_through_flood 30
	assert_bounded
	# The flood did fill every slot.
	[ "$KIDS_MAX" -eq "$MAX_CONNS" ]
	# The listener timed out and closed every idle connection itself:
	# flood.py still holds them open.
	wait_lines listener.err "timed out waiting for the peer's SEALCAT/2 line" \
	    "$FLOOD" 20
	wait_lines flood.out "closed_by_peer $FLOOD" 1 5
	wait_no_children 5
	kill -0 "$FLOOD_PID"
	# A later client finds a free slot at once.
	start_bg client2 msg "$SEALCAT" connect -w 5 -i "$CLIENT_ID" \
	    --peer "$SERVER_TOKEN" 127.0.0.1 "$PORT"
	wait_bg "$BG_PID"
	assert_status 0
	[ "$(cat client2.out)" = "$(cat msg)" ]
}

@test "flood: $FLOOD garbage connections are refused, each holding a slot 2 s at most; a real client gets through" {
	start_listener -k --exec cat -w 2 --allow "$CLIENT_TOKEN"
	listener_process
	# A refused peer gets our line and a FIN at once, then up to 2 s
	# (conn.c's LINGER_MS) to close before we do; flood.py never does.
	start_flood garbage 10
	client_through_flood 15
	assert_bounded
	wait_lines listener.err "not a sealcat peer" "$FLOOD" 15
	wait_no_children 5
	wait_lines flood.out "closed_by_peer $FLOOD" 1 5
	wait_bg "$FLOOD_PID"
	assert_status 0
}

@test "flood: a preamble dribbled a byte every 0.5 s does not stretch -w; every slot is freed" {
	start_listener -k --exec cat -w 2 --allow "$CLIENT_TOKEN"
	listener_process
	start_flood slow 12
	client_through_flood 15
	assert_bounded
	wait_lines listener.err "timed out waiting for the peer's SEALCAT/2 line" \
	    "$FLOOD" 15
	wait_no_children 5
	# Closed by the listener while still sending: the -w deadline
	# covers the whole handshake, not each read.
	wait_lines flood.out "closed_by_peer $FLOOD" 1 5
	wait_bg "$FLOOD_PID"
	assert_status 0
}
