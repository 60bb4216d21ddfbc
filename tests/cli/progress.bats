#!/usr/bin/env bats
# progress.bats - --progress and --size: the status line redrawn in place
# on a terminal (tmux, read with capture-pane), plain lines into a pipe,
# the percentage from --size and from a regular file on stdin, the
# refused values and combinations, and the data still arriving intact.
#
# The sender's source is tests/cli/stepped_source.py, which writes each
# chunk only when the test says so: what a line shows at each step is
# known however slow the machine is, and the waits end when it shows.

load helpers

KIB=1024
CHUNK=$((256 * KIB))
TMUX_SOCKET=

setup() {
	common_setup
	make_identities
}

teardown() {
	pipe_teardown
	if [ -n "$TMUX_SOCKET" ]; then
		tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null || true
	fi
}

# step FLAG N: lets the source write its chunk N.
step() {
	: >"$1.$2"
}

need_tmux() {
	command -v tmux >/dev/null ||
	    skip "tmux is not installed (./bootstrap installs it)"
}

# pane: the text of the tmux pane, without its empty lines (wrapped lines
# joined).
pane() {
	tmux -L "$TMUX_SOCKET" capture-pane -J -p -t progress | grep -v '^$' ||
	    true
}

# pane_shows REGEX: the pane has exactly one non-empty line, matching the
# extended REGEX (the status line is redrawn in place, never repeated).
pane_shows() {
	local text
	text=$(pane)
	[ "$(printf '%s\n' "$text" | grep -c .)" -eq 1 ] &&
	    [[ $text =~ $1 ]]
}

# wait_pane REGEX: waits (READY_S at most) until pane_shows REGEX.
wait_pane() {
	wait_until "$READY_S" pane_shows "$1" && return 0
	echo "the pane never showed one line matching /$1/; it shows:" >&2
	pane >&2
	return 1
}

# sent_bytes LINE: the "sent X UNIT" of a status line, in bytes.
sent_bytes() {
	local n unit m
	[[ $1 =~ sent\ ([0-9.]+)\ ([KMG]?i?B) ]] || return 1
	n=${BASH_REMATCH[1]} unit=${BASH_REMATCH[2]}
	case $unit in
	KiB) m=1024 ;;
	MiB) m=1048576 ;;
	GiB) m=1073741824 ;;
	*) m=1 ;;
	esac
	awk -v n="$n" -v m="$m" 'BEGIN { printf "%d\n", n * m }'
}

# tmux_start: run.sh in a tmux pane of 100 columns on a server of the
# test's own (TMUX_SOCKET, killed by teardown).
tmux_start() {
	TMUX_SOCKET=sealcat-progress-$$-$BATS_TEST_NUMBER
	tmux -L "$TMUX_SOCKET" -f /dev/null new-session -d -s progress \
	    -x 100 -y 20 "cd '$BATS_TEST_TMPDIR' && bash run.sh"
}

# final_pane: waits (READY_S at most) until the pane shows a final status
# line (" average, "), then sets text to the pane.
final_pane() {
	wait_until "$READY_S" bash -c 'tmux -L "$1" capture-pane -J -p -t progress |
	    grep -q " average, "' _ "$TMUX_SOCKET"
	text=$(pane)
	echo "$text" >&2
}

# tmux_connect ARGS...: in a tmux pane of 100 columns, the stepped source
# (data, CHUNK bytes a step, flags flag.N) into sealcat connect ARGS to
# the listener; its exit status goes to connect.status, and the pane stays.
# Its stdout goes to ${CONNECT_OUT:-/dev/null} (/dev/tty: the pane).
tmux_connect() {
	local arg args=""
	for arg in "$@"; do
		args+=" $(printf '%q' "$arg")"
	done
	cat >run.sh <<-EOF
	"${PYTHON3:-python3}" "$SEALCAT_SRCDIR/tests/cli/stepped_source.py" \
	    data $CHUNK flag |
	    timeout "$WATCHDOG" "$SEALCAT" connect -i "$CLIENT_ID" \
	    --peer "$SERVER_TOKEN" $args 127.0.0.1 $PORT >${CONNECT_OUT:-/dev/null}
	echo \$? >connect.status
	exec sleep $WATCHDOG
	EOF
	tmux_start
}

@test "--progress on a terminal: one line redrawn in place as bytes go, then a final line with 100%" {
	need_tmux
	random_file data $((4 * CHUNK))
	start_listener --allow "$CLIENT_TOKEN" --recv-only
	# stdout on the terminal too, as in `connect ... < file`: while no
	# data arrives there, the line is still redrawn in place.
	CONNECT_OUT=/dev/tty tmux_connect --progress --size 1M

	step flag 0
	wait_pane '^sent 256 KiB, received 0 B, .*/s, 0:[0-9]{2}, 25%, ETA ([0-9:]+|-:--)$'
	first=$(pane)
	step flag 1
	wait_pane '^sent 512 KiB, received 0 B, .*/s, 0:[0-9]{2}, 50%, ETA '
	second=$(pane)
	echo "first:  $first" >&2
	echo "second: $second" >&2
	[ "$first" != "$second" ]
	[ "$(sent_bytes "$second")" -gt "$(sent_bytes "$first")" ]

	step flag 2
	step flag 3
	wait_for_file connect.status
	[ "$(cat connect.status)" = 0 ]
	wait_pane '^sent 1.00 MiB, received 0 B, .*/s average, 0:[0-9]{2}, 100%$'
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file data listener.out
}

@test "--progress -v on a terminal: messages clear the status line and go above it; the summary follows the final line" {
	need_tmux
	random_file data $((4 * CHUNK))
	start_listener --allow "$CLIENT_TOKEN" --recv-only
	tmux_connect --progress -v
	step flag 0
	# The status line is up, below the messages of the handshake.
	wait_until "$READY_S" bash -c 'tmux -L "$1" capture-pane -J -p -t progress |
	    grep -q "^sent 256 KiB, received 0 B, "' _ "$TMUX_SOCKET"
	# The end of our stream is reported while the line shows.
	step flag 1
	step flag 2
	step flag 3
	wait_for_file connect.status
	[ "$(cat connect.status)" = 0 ]
	wait_until "$READY_S" bash -c 'tmux -L "$1" capture-pane -J -p -t progress |
	    grep -q "sent 1048576 bytes"' _ "$TMUX_SOCKET"
	text=$(pane)
	echo "$text" >&2
	# Every line is a message of its own, but the one final status line:
	# no message was written onto a status line.
	[ "$(grep -c '^sent ' <<<"$text")" -eq 1 ]
	[ "$(grep -vc '^sealcat: ' <<<"$text")" -eq 1 ]
	grep -q '^sent 1.00 MiB, received 0 B, .*/s average, 0:[0-9][0-9]$' \
	    <<<"$text"
	grep -q '^sealcat: .*our stream sent (1048576 bytes)' <<<"$text"
	# The status line came before the end of the stream was reported,
	# and the final one before the summary.
	[ "$(grep -n 'our stream sent' <<<"$text" | cut -d: -f1)" -lt \
	    "$(grep -n '^sent ' <<<"$text" | cut -d: -f1)" ]
	[ "$(grep -n '^sent ' <<<"$text" | cut -d: -f1)" -lt \
	    "$(grep -n 'sent 1048576 bytes, received 0 bytes' <<<"$text" |
	    cut -d: -f1)" ]
	wait_bg "$LISTENER_PID"
	assert_status 0
}

@test "--progress on a terminal that also shows the received data: plain lines, nothing glued or wiped" {
	need_tmux
	random_file data $((4 * CHUNK))
	# A partial line last, as a prompt would be: a redraw would wipe it.
	printf 'hello from the listener\nPassword: ' >greeting
	LISTEN_IN=greeting start_listener --allow "$CLIENT_TOKEN"
	CONNECT_OUT=/dev/tty tmux_connect --progress --size 1M
	step flag 0
	step flag 1
	step flag 2
	step flag 3
	wait_for_file connect.status
	[ "$(cat connect.status)" = 0 ]
	final_pane
	# What arrived is on the pane as it was sent, on lines of its own
	# (the prompt is followed by the final line, never overwritten).
	grep -qx 'hello from the listener' <<<"$text"
	grep -q '^Password: ' <<<"$text"
	# The status lines are plain ones, as into a pipe, and the final
	# line is there.
	grep -Eq 'sealcat: sent 1.00 MiB, received 34 B, .*/s average, 0:[0-9]{2}, 100%$' <<<"$text"
	! grep -q '^sent ' <<<"$text"
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file data listener.out
}

@test "--progress with stdin on the terminal: plain lines, so the echo of typing is not wiped" {
	need_tmux
	# The listener's own stream stays open (a terminal on stdin ends the
	# session when the peer's stream ends), then ends after ours.
	mkfifo hold
	sleep "$WATCHDOG" >hold &
	local holder=$!
	LISTEN_IN=hold start_listener --allow "$CLIENT_TOKEN"
	# timeout --foreground: sealcat stays in the terminal's foreground
	# process group, so it may read the terminal.
	cat >run.sh <<-EOF
	timeout --foreground "$WATCHDOG" "$SEALCAT" connect -i "$CLIENT_ID" \
	    --peer "$SERVER_TOKEN" --progress 127.0.0.1 $PORT
	echo \$? >connect.status
	exec sleep $WATCHDOG
	EOF
	tmux_start
	# Typed once the session is up (a plain line every 5 s would come
	# later): the line typed, then the end of input.
	wait_until "$READY_S" bash -c 'ss -Htn state established "( dport = :$1 )" | grep -q .' _ "$PORT"
	tmux -L "$TMUX_SOCKET" send-keys -t progress 'typed words' Enter
	wait_until "$READY_S" bash -c '[ -s listener.out ]'
	tmux -L "$TMUX_SOCKET" send-keys -t progress C-d
	# Ours ends once connect has delivered its stream.
	wait_for_line listener.err 'delivered its whole stream \(12 bytes\)'
	kill "$holder"
	wait_for_file connect.status
	[ "$(cat connect.status)" = 0 ]
	final_pane
	grep -qx 'typed words' <<<"$text"
	grep -Eq '^sealcat: sent 12 B, received 0 B, .* average, 0:[0-9]{2}$' <<<"$text"
	! grep -q '^sent ' <<<"$text"
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = 'typed words' ]
}

@test "--progress into a pipe: a plain line every 5 s and a final line, no carriage return or escape" {
	random_file data $((4 * CHUNK))
	start_listener --allow "$CLIENT_TOKEN" --recv-only --progress \
	    --size 1M
	start_bg sender /dev/null bash -c 'set -o pipefail
	    "$1" "$2" "$3" "$4" "$5" | "$6" connect -q -i "$7" --peer "$8" \
	        --progress --size 1M 127.0.0.1 "$9" 2>&1 >/dev/null | cat' \
	    _ "${PYTHON3:-python3}" "$SEALCAT_SRCDIR/tests/cli/stepped_source.py" \
	    data $CHUNK flag "$SEALCAT" "$CLIENT_ID" "$SERVER_TOKEN" "$PORT"
	sender_pid=$BG_PID
	step flag 0
	# Every 5 s: the first plain line comes after one interval.
	wait_for_line sender.out '^sealcat: sent 256 KiB, received 0 B, .*/s, 0:(0[5-9]|[1-5][0-9]), 25%, ETA ([0-9:]+|-:--)$'
	step flag 1
	step flag 2
	step flag 3
	wait_bg "$sender_pid"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	cat sender.out >&2
	assert_line_in sender.out '^sealcat: sent 1.00 MiB, received 0 B, .*/s average, 0:[0-9]{2}, 100%$'
	# Each line is a line of its own: no redrawing outside a terminal.
	! grep -q $'[\r\033]' sender.out
	! grep -qv '^sealcat: sent ' sender.out
	# The last line is the final one.
	tail -n 1 sender.out | grep -q ' average, '
	# The receiver counts what it receives against its --size.
	assert_line_in listener.err '^sealcat: sent 0 B, received 1.00 MiB, .*/s average, 0:[0-9]{2}, 100%$'
	! grep -q $'[\r\033]' listener.err
	assert_same_file data listener.out
}

@test "--progress: the size of a regular file on stdin, from its offset; --size takes precedence" {
	random_file data $((4 * CHUNK))
	start_listener --allow "$CLIENT_TOKEN" --recv-only
	run connect_io data /dev/null --peer "$SERVER_TOKEN" --progress
	assert_status 0
	echo "$output" >&2
	assert_one_line_error '^sealcat: sent 1.00 MiB, received 0 B, .*/s average, 0:[0-9]{2}, 100%$'
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file data listener.out

	# The first 256 KiB already read by someone else: 768 KiB to go.
	start_listener --allow "$CLIENT_TOKEN" --recv-only
	run bash -c 'exec <"$1"
	    "$2" -c "import os; os.lseek(0, $3, os.SEEK_SET)" || exit 99
	    timeout "$4" "$5" connect -i "$6" --peer "$7" --progress \
	        127.0.0.1 "$8" >/dev/null' _ data "${PYTHON3:-python3}" \
	    $CHUNK "$WATCHDOG" "$SEALCAT" "$CLIENT_ID" "$SERVER_TOKEN" "$PORT"
	assert_status 0
	assert_one_line_error '^sealcat: sent 768 KiB, received 0 B, .* average, 0:[0-9]{2}, 100%$'
	wait_bg "$LISTENER_PID"
	assert_status 0
	tail -c $((3 * CHUNK)) data >rest
	assert_same_file rest listener.out

	# --size says 2 MiB: half of it went.
	start_listener --allow "$CLIENT_TOKEN" --recv-only
	run connect_io data /dev/null --peer "$SERVER_TOKEN" --progress \
	    --size 2M
	assert_status 0
	assert_one_line_error '^sealcat: sent 1.00 MiB, received 0 B, .* average, 0:[0-9]{2}, 50%$'
	wait_bg "$LISTENER_PID"
	assert_status 0

	# No size known (stdin a pipe, no --size): no percentage.
	start_listener --allow "$CLIENT_TOKEN" --recv-only
	run bash -c 'cat "$1" | timeout "$2" "$3" connect -i "$4" --peer "$5" \
	    --progress 127.0.0.1 "$6" >/dev/null' _ data "$WATCHDOG" \
	    "$SEALCAT" "$CLIENT_ID" "$SERVER_TOKEN" "$PORT"
	assert_status 0
	assert_one_line_error '^sealcat: sent 1.00 MiB, received 0 B, .*/s average, 0:[0-9]{2}$'
	wait_bg "$LISTENER_PID"
	assert_status 0
}

@test "--size: bad values and --progress where it cannot work are usage errors (exit 2, one line)" {
	local value
	for value in abc -5 1.5G 5Q '' K 1KK ' 5' 0x10 12k 0; do
		run "$SEALCAT" connect --progress --size "$value" 127.0.0.1 9
		assert_status 2
		assert_one_line_error "^sealcat: --size: '.*' is not a byte count — use a whole number from 1, optionally followed by K, M, G or T"
	done
	for value in 18446744073709551616 99999999999999999999999999 \
	    16777216T 18014398509481984K; do
		run "$SEALCAT" listen --progress --size "$value" 9
		assert_status 2
		assert_one_line_error "^sealcat: --size: '$value' is too large for a byte count"
	done
	# The largest count there is passes the parser (and fails later,
	# for want of a key file).
	run "$SEALCAT" connect --progress --size 18446744073709551615 \
	    -i nonexistent 127.0.0.1 9
	assert_status 2
	assert_one_line_error "^sealcat: nonexistent: no such key file — "
	run "$SEALCAT" connect --size 1M 127.0.0.1 9
	assert_status 2
	assert_one_line_error '^sealcat: --size is for --progress — add --progress, or drop --size'
	run "$SEALCAT" listen --progress -k --exec cat 9
	assert_status 2
	assert_one_line_error '^sealcat: --progress shows one session, and -k with --exec or --forward serves many at once'
	run "$SEALCAT" listen --progress -k --forward 127.0.0.1:9 9
	assert_status 2
	assert_one_line_error '^sealcat: --progress shows one session'
	run "$SEALCAT" connect --progress --local 9000 127.0.0.1 9
	assert_status 2
	assert_one_line_error '^sealcat: --progress shows one session, and --local serves many at once'
}

@test "--progress on both ends, both ways: the data arrives intact, -v's summary stays, -q keeps the line" {
	random_file to_server $((3 * 1024 * KIB + 17))
	random_file to_client $((2 * 1024 * KIB + 5))
	LISTEN_IN=to_client start_listener --allow "$CLIENT_TOKEN" --progress
	run connect_io to_server client.out --peer "$SERVER_TOKEN" -q \
	    --progress
	assert_status 0
	echo "$output" >&2
	# Both files are regular: each side knows its own size.
	assert_one_line_error '^sealcat: sent 3.00 MiB, received 2.00 MiB, .*/s average, 0:[0-9]{2}, 100%$'
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file to_server listener.out
	assert_same_file to_client client.out
	# The size of a file on stdin is that of what we send: 100%, though
	# more arrived.
	assert_line_in listener.err '^sealcat: sent 2.00 MiB, received 3.00 MiB, .*/s average, 0:[0-9]{2}, 100%$'
	# The -v summary after it, as without --progress.
	assert_line_in listener.err ': sent 2097157 bytes, received 3145745 bytes in '
	[ "$(grep -n 'average' listener.err | cut -d: -f1)" -lt \
	    "$(grep -n 'sent 2097157 bytes' listener.err | cut -d: -f1)" ]
}

@test "listen -k --progress on stdio: each session in turn has its own final line" {
	random_file one 100000
	random_file two 200000
	start_listener --allow "$CLIENT_TOKEN" --recv-only -k --progress
	run connect_io one /dev/null --peer "$SERVER_TOKEN" -q
	assert_status 0
	run connect_io two /dev/null --peer "$SERVER_TOKEN" -q
	assert_status 0
	wait_for_line listener.err '^sealcat: sent 0 B, received 195 KiB, .*/s average, 0:[0-9]{2}$'
	[ "$(grep -c ' average, ' listener.err)" -eq 2 ]
	grep ' average, ' listener.err | head -n 1 |
	    grep -Eq '^sealcat: sent 0 B, received 97.7 KiB, .*/s average, 0:[0-9]{2}$'
	# Each connect exited 0: its stream was written out before DONE.
	cat one two >both
	assert_same_file both listener.out
}
