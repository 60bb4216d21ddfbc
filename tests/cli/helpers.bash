# helpers.bash - shared setup for the bats suites: a private config home,
# the binary under test, and assertions that print what they saw.

: "${SEALCAT:?SEALCAT must point at the binary under test (make check sets it)}"
: "${SEALCAT_SRCDIR:?SEALCAT_SRCDIR must point at the source tree}"

common_setup() {
	export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/config"
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	unset SEALCAT_IDENTITY
	cd "$BATS_TEST_TMPDIR" || return 1
}

# assert_status WANT: the last `run` exited with WANT.
assert_status() {
	if [ "$status" -ne "$1" ]; then
		echo "expected exit status $1, got $status; output:" >&2
		echo "$output" >&2
		return 1
	fi
}

# assert_one_line_error PATTERN: the output is exactly one line starting
# with "sealcat: " and matching the extended regex PATTERN.
assert_one_line_error() {
	local n
	n=$(printf '%s\n' "$output" | wc -l)
	if [ "$n" -ne 1 ] || [[ $output != "sealcat: "* ]] ||
	    ! [[ $output =~ $1 ]]; then
		echo "expected one 'sealcat: ' line matching /$1/, got:" >&2
		echo "$output" >&2
		return 1
	fi
}

# ---------------------------------------------------------------- the pipe
# Every background process runs under a watchdog, so a hung test fails
# instead of hanging `make check`; teardown kills whatever is left.

WATCHDOG=${WATCHDOG:-120}
# How long a process may take to get ready (print "listening on", write a
# file) before a test gives up on it: generous, since a busy machine is
# slow, not broken, and the waits end as soon as the thing happens.
READY_S=${READY_S:-30}
BG_PIDS=()
declare -gA BG_PID_OF=()

# now_ms: milliseconds on the wall clock (bash 5's EPOCHREALTIME).
now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

# wait_until SECONDS CMD...: runs CMD every 10 ms until it succeeds (0) or
# SECONDS have passed (1).
wait_until() {
	local deadline=$(($(now_ms) + $1 * 1000))
	shift
	while ! "$@"; do
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.01
	done
}

# make_identities [SUITE]: a server and a client identity of SUITE (default
# x25519); sets SERVER_ID, CLIENT_ID, SERVER_TOKEN and CLIENT_TOKEN.
make_identities() {
	local suite=${1:-x25519}
	SERVER_ID=$BATS_TEST_TMPDIR/server_$suite
	CLIENT_ID=$BATS_TEST_TMPDIR/client_$suite
	SERVER_TOKEN=$("$SEALCAT" keygen --suite "$suite" -o "$SERVER_ID") &&
	    CLIENT_TOKEN=$("$SEALCAT" keygen --suite "$suite" -o "$CLIENT_ID")
}

# start_bg NAME IN CMD...: runs CMD in the background with stdin from IN,
# stdout to NAME.out and stderr to NAME.err (in the test directory); sets
# BG_PID and records it, as NAME's, for wait_listening and teardown.
start_bg() {
	local name=$1 in=$2
	shift 2
	# Empty the files now, not in the background child: a NAME used
	# twice in a test would otherwise let wait_listening read the
	# previous run's "listening on" line (and its port).
	: >"$BATS_TEST_TMPDIR/$name.out"
	: >"$BATS_TEST_TMPDIR/$name.err"
	# fd 3 is bats' own: a background process holding it stalls bats.
	timeout "$WATCHDOG" "$@" <"$in" >"$BATS_TEST_TMPDIR/$name.out" \
	    2>"$BATS_TEST_TMPDIR/$name.err" 3>&- &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
	BG_PID_OF[$name]=$BG_PID
}

# wait_bg PID: waits for a background process; sets status to its exit
# status (124 if the watchdog had to stop it).
wait_bg() {
	status=0
	wait "$1" || status=$?
}

# listening_or_gone ERR PID: true once ERR has a whole "listening on
# ADDR:PORT" line (PORT set from it) or PID has ended.
listening_or_gone() {
	local line
	if line=$(grep -m1 -E 'listening on .*:[0-9]+$' "$1" 2>/dev/null); then
		PORT=${line##*:}
		return 0
	fi
	! kill -0 "$2" 2>/dev/null
}

# wait_listening NAME: waits (READY_S at most) for the "listening on
# ADDR:PORT" line that NAME (started by start_bg) prints, and sets PORT
# from it.  Fails at once if NAME ends without printing it.
wait_listening() {
	local err=$BATS_TEST_TMPDIR/$1.err pid=${BG_PID_OF[$1]:-$BG_PID}
	PORT=
	if wait_until "$READY_S" listening_or_gone "$err" "$pid" &&
	    [ -n "$PORT" ]; then
		return 0
	fi
	echo "no 'listening on' line from $1 within $READY_S s; its" \
	    "stderr:" >&2
	cat "$err" >&2
	return 1
}

# start_listener [ARGS...]: sealcat listen -v -i $SERVER_ID ARGS on
# ${LISTEN_ADDR:-127.0.0.1} port 0, stdin from ${LISTEN_IN:-/dev/null},
# stdout to listener.out, stderr to listener.err.  Sets LISTENER_PID (the
# watchdog's) and PORT once it is listening.
start_listener() {
	start_bg listener "${LISTEN_IN:-/dev/null}" "$SEALCAT" listen -v \
	    -i "$SERVER_ID" "$@" "${LISTEN_ADDR:-127.0.0.1}" 0
	LISTENER_PID=$BG_PID
	wait_listening listener
}

# connect_io IN OUT [ARGS...]: sealcat connect -i $CLIENT_ID ARGS to
# ${CONNECT_ADDR:-127.0.0.1} $PORT with stdin from IN and stdout to OUT;
# for `run`, whose output is then the client's stderr.
connect_io() {
	local in=$1 out=$2
	shift 2
	timeout "$WATCHDOG" "$SEALCAT" connect -i "$CLIENT_ID" "$@" \
	    "${CONNECT_ADDR:-127.0.0.1}" "$PORT" <"$in" >"$out"
}

# wait_for_file FILE: waits (the watchdog's time at most) until FILE exists.
wait_for_file() {
	wait_until "$WATCHDOG" test -e "$1" && return 0
	echo "$1 did not appear within $WATCHDOG s" >&2
	return 1
}

# holds FILE TEXT: FILE holds exactly TEXT.
holds() {
	[ "$(cat "$1" 2>/dev/null)" = "$2" ]
}

# wait_for_content FILE TEXT: waits (READY_S at most) until FILE holds
# exactly TEXT.
wait_for_content() {
	wait_until "$READY_S" holds "$1" "$2" && return 0
	echo "$1 never held '$2'; it holds '$(cat "$1")'" >&2
	return 1
}

# wait_for_line FILE REGEX: waits (READY_S at most) until a line of FILE
# matches the extended REGEX.
wait_for_line() {
	wait_until "$READY_S" grep -Eq -- "$2" "$1" 2>/dev/null && return 0
	echo "no line of $1 ever matched /$2/; it holds:" >&2
	cat "$1" >&2
	return 1
}

# random_file NAME BYTES: BYTES of random data in NAME.
random_file() {
	head -c "$2" /dev/urandom >"$1"
}

# assert_same_file A B: identical contents (SHA-256 on both, shown on
# failure).
assert_same_file() {
	local a b
	a=$(sha256sum <"$1") b=$(sha256sum <"$2")
	if [ "$a" != "$b" ]; then
		echo "$1 and $2 differ: $a vs $b ($(wc -c <"$1") and" \
		    "$(wc -c <"$2") bytes)" >&2
		return 1
	fi
}

# assert_prefix PART WHOLE: PART is an exact prefix of WHOLE and shorter.
assert_prefix() {
	local n
	n=$(wc -c <"$1")
	if [ "$n" -ge "$(wc -c <"$2")" ] || ! cmp -s -n "$n" "$1" "$2"; then
		echo "$1 ($n bytes) is not a proper prefix of $2" >&2
		return 1
	fi
}

# assert_line_in FILE REGEX: some line of FILE matches REGEX.
assert_line_in() {
	if ! grep -Eq -- "$2" "$1"; then
		echo "no line of $1 matches /$2/; it holds:" >&2
		cat "$1" >&2
		return 1
	fi
}

# descendants PID: the PIDs of PID's children, their children, and so on.
descendants() {
	local child
	for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		echo "$child"
		descendants "$child"
	done
}

# pipe_teardown: stops the background processes that are still running
# and everything they started (a background function's subshell, the
# watchdog's sealcat, an --exec command), whichever way the test ended:
# bats runs teardown after a failure and an interruption too.
pipe_teardown() {
	local pid all=()
	for pid in "${BG_PIDS[@]}"; do
		all+=("$pid" $(descendants "$pid"))
	done
	for pid in "${all[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${BG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
}

# hold_open FIFO FLAG [TEXT]: makes FIFO and, in the background, holds it
# open for writing (a reader sees no EOF) until the file FLAG exists, then
# writes TEXT and closes it.
hold_open() {
	local fifo=$1 flag=$2 text=${3-}
	mkfifo "$fifo"
	{
		for ((i = 0; i < WATCHDOG * 100; i++)); do
			[ -e "$flag" ] && break
			sleep 0.01
		done
		printf '%s' "$text"
	} >"$fifo" 3>&- &
	BG_PIDS+=("$!")
}

# start_mitm ARGS...: tests/cli/mitm.py between a client and the listener
# on $PORT; sets MITM_PID and MITM_PORT (point CONNECT at MITM_PORT).
start_mitm() {
	start_bg mitm /dev/null "${PYTHON3:-python3}" \
	    "$SEALCAT_SRCDIR/tests/cli/mitm.py" "$PORT" "$@"
	MITM_PID=$BG_PID
	local listener_port=$PORT
	wait_listening mitm
	MITM_PORT=$PORT
	PORT=$listener_port
}

# assert_prefix_or_same PART WHOLE: PART is a prefix of WHOLE (maybe all).
assert_prefix_or_same() {
	local n
	n=$(wc -c <"$1")
	if [ "$n" -gt "$(wc -c <"$2")" ] || ! cmp -s -n "$n" "$1" "$2"; then
		echo "$1 ($n bytes) is not a prefix of $2" >&2
		return 1
	fi
}
