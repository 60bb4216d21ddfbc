#!/usr/bin/env bats
# via.bats - listen --via and connect --via through a real sealcat relay on
# loopback: transfers both ways in key and code mode, known_peers NAMEs,
# the relay's refusals as the clients report them, -k serving many, a
# listener that outlives a relay restart, --retry and --local.

WATCHDOG=${WATCHDOG:-60}
load helpers

PY=${PYTHON3:-python3}

setup() {
	common_setup
	make_identities
}

teardown() {
	pipe_teardown
}

# start_relay [ARGS...]: sealcat relay -v ARGS on 127.0.0.1 port 0, stderr
# to relay.err; sets RELAY_PID (the watchdog's) and RELAY (HOST:PORT).
start_relay() {
	start_bg relay /dev/null "$SEALCAT" relay -v "$@" 127.0.0.1 0
	RELAY_PID=$BG_PID
	wait_listening relay
	RELAY=127.0.0.1:$PORT
}

# via_listener IN [ARGS...]: sealcat listen -v --via $RELAY with the server
# identity, stdin from IN; waits until the relay has it waiting.  Sets
# LISTENER_PID.
via_listener() {
	local in=$1 n
	shift
	n=$(grep -c 'waits for a connector' relay.err || true)
	start_bg listener "$in" "$SEALCAT" listen -v -i "$SERVER_ID" \
	    --via "$RELAY" "$@"
	LISTENER_PID=$BG_PID
	wait_lines relay.err 'waits for a connector' $((n + 1))
}

# via_connect IN OUT [ARGS...]: sealcat connect --via $RELAY with the
# client identity, for `run` (its output is then the client's stderr).
via_connect() {
	local in=$1 out=$2
	shift 2
	timeout "$WATCHDOG" "$SEALCAT" connect -i "$CLIENT_ID" --via "$RELAY" \
	    "$@" <"$in" >"$out"
}

# wait_lines FILE REGEX N: waits (READY_S at most) until N lines match.
count_at_least() {
	[ "$(grep -Ec -- "$2" "$1" 2>/dev/null)" -ge "$3" ]
}
wait_lines() {
	wait_until "$READY_S" count_at_least "$@" && return 0
	echo "fewer than $3 lines of $1 match /$2/; it holds:" >&2
	cat "$1" >&2
	return 1
}

# known_peer NAME TOKEN: a "NAME TOKEN" line in the client's known_peers.
known_peer() {
	mkdir -p "$XDG_CONFIG_HOME/sealcat"
	chmod 700 "$XDG_CONFIG_HOME/sealcat"
	printf '%s %s\n' "$1" "$2" >>"$XDG_CONFIG_HOME/sealcat/known_peers"
	chmod 600 "$XDG_CONFIG_HOME/sealcat/known_peers"
}

@test "key mode: listener to connector and back, sha256 intact" {
	random_file up 2000001
	random_file down 1500000
	start_relay
	via_listener down --allow "$CLIENT_TOKEN"
	run via_connect up c.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file up listener.out
	assert_same_file down c.out
	id=$(grep -oE 'pseudonym [0-9a-f]{16}\.\.\.' listener.err)
	assert_line_in relay.err "pair ${id:10:8}"
	assert_line_in listener.err "^sealcat: via relay $RELAY, pseudonym [0-9a-f]{16}\.\.\.$"
}

@test "connect -v names the relay and the same pseudonym as the listener" {
	start_relay
	via_listener /dev/null --allow "$CLIENT_TOKEN"
	run via_connect /dev/null /dev/null -v --peer "$SERVER_TOKEN"
	assert_status 0
	lid=$(grep -oE 'pseudonym [0-9a-f.]+' listener.err)
	[[ $output == *"sealcat: via relay $RELAY, $lid"* ]]
	! grep -q "$SERVER_TOKEN" relay.err
	! grep -q "$CLIENT_TOKEN" relay.err
}

@test "connect --via NAME takes the key from a known_peers NAME line" {
	printf 'by name\n' >msg
	start_relay
	known_peer alice "$SERVER_TOKEN"
	via_listener /dev/null --allow "$CLIENT_TOKEN"
	run via_connect msg /dev/null alice
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file msg listener.out
}

@test "connect --via NAME: a NAME known_peers lacks is a usage error" {
	start_relay
	known_peer alice "$SERVER_TOKEN"
	run via_connect /dev/null /dev/null bob
	assert_status 2
	assert_one_line_error "^sealcat: 'bob' is not in .*/known_peers — add a line 'bob TOKEN' with the listener's token \(its sealcat pubkey\), or use --peer TOKEN$"
}

@test "no listener for that key: exit 1 and the relay's word for it" {
	start_relay --connect-wait 1
	run via_connect /dev/null c.out --peer "$SERVER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: relay $RELAY refused: no listener for that key — check that the listener runs listen --via with this relay and the key you named, or add --retry SECS to wait for it$"
	[ ! -s c.out ]
}

@test "connect --retry waits until a via listener registers" {
	printf 'late\n' >msg
	start_relay --connect-wait 1
	start_bg client msg "$SEALCAT" connect -v -i "$CLIENT_ID" --via "$RELAY" \
	    --peer "$SERVER_TOKEN" --retry 30
	cpid=$BG_PID
	wait_lines relay.err 'waits for a listener' 1
	start_bg listener /dev/null "$SEALCAT" listen -i "$SERVER_ID" \
	    --allow "$CLIENT_TOKEN" --via "$RELAY"
	LISTENER_PID=$BG_PID
	wait_bg "$cpid"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file msg listener.out
}

@test "a relay that is not there: exit 1, one line naming it" {
	start_relay
	kill "$RELAY_PID"
	wait_bg "$RELAY_PID"
	run via_connect /dev/null /dev/null --peer "$SERVER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: cannot connect to relay $RELAY: refused or unreachable — check that sealcat relay runs there$"
}

@test "usage: listen --via takes no port, connect --via needs a key" {
	run "$SEALCAT" listen --via 127.0.0.1:1 9000
	assert_status 2
	assert_one_line_error "^sealcat: --via takes no ADDRESS or PORT: the listener waits at the relay — see 'sealcat listen --help'$"
	run "$SEALCAT" listen --via nonsense
	assert_status 2
	assert_one_line_error "--via wants the relay's HOST:PORT"
	run "$SEALCAT" connect --via 127.0.0.1:1
	assert_status 2
	assert_one_line_error "^sealcat: --via needs the listener's key — add --peer TOKEN, or name a NAME that known_peers lists — see 'sealcat connect --help'$"
	run "$SEALCAT" connect --via 127.0.0.1:1 host 9000
	assert_status 2
	assert_one_line_error "--via takes no HOST PORT"
	run "$SEALCAT" connect --via 127.0.0.1:1 --trust-new alice
	assert_status 2
	assert_one_line_error "--trust-new is for direct connections"
}
