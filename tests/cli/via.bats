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

# code_of FILE: the code a listen --code --via printed in FILE.
code_of() {
	sed -n 's/^sealcat: code \([0-9a-z-]*\)$/\1/p' "$1" | tail -1
}

# a_word N: word N of the code word list.
a_word() {
	sed -n "${1}p" "$SEALCAT_SRCDIR/src/pake/eff_short_wordlist_2_0.txt" |
	    awk '{print $NF}'
}

# code_connect IN OUT [ARGS...]: sealcat connect --via $RELAY without an
# identity (code mode), for `run`.
code_connect() {
	local in=$1 out=$2
	shift 2
	timeout "$WATCHDOG" "$SEALCAT" connect --via "$RELAY" "$@" <"$in" >"$out"
}

@test "code mode: the relay hands out the number, data both ways intact" {
	random_file up 1000000
	random_file down 700000
	start_relay
	n=$(grep -c 'waits for a connector' relay.err || true)
	start_bg listener down "$SEALCAT" listen -v --code --via "$RELAY"
	LISTENER_PID=$BG_PID
	wait_lines relay.err 'waits for a connector' 1
	code=$(code_of listener.err)
	[[ $code =~ ^1-[a-z]+-[a-z]+$ ]]
	assert_line_in listener.err "^sealcat: via relay $RELAY, nameplate 1$"
	assert_line_in listener.err "^sealcat: on the other machine: sealcat connect --code $code --via $RELAY$"
	run code_connect up c.out -v --code "$code"
	assert_status 0
	[[ $output == *"sealcat: via relay $RELAY, nameplate 1"* ]]
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file up listener.out
	assert_same_file down c.out
	# The relay never sees the words.
	! grep -q "${code#1-}" relay.err
}

@test "code mode: a wrong code costs a try, the next one keeps the number" {
	printf 'second try\n' >msg
	start_relay
	start_bg listener /dev/null "$SEALCAT" listen -v --code --via "$RELAY"
	LISTENER_PID=$BG_PID
	wait_lines relay.err 'waits for a connector' 1
	code=$(code_of listener.err)
	w=$(a_word 5)
	run timeout "$WATCHDOG" "$SEALCAT" connect --code "1-$w-$w" \
	    --via "$RELAY" </dev/null
	assert_status 1
	assert_one_line_error "^sealcat: handshake with $RELAY failed: wrong code — check the code \(the listener counted the try\)$"
	wait_lines relay.err 'waits for a connector' 2
	run code_connect msg /dev/null --code "$code"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file msg listener.out
	assert_line_in listener.err '^sealcat: 2 of 3 tries left for this code$'
}

@test "code mode: back after the relay's grace, the listener asks for its number again" {
	# A pairing that ends only after the nameplate's grace (a peer that
	# says nothing for 3 s, grace 1 s): the relay has let the number go,
	# so a LISTEN under it would wait where no CLAIM can reach.
	printf 'late but in\n' >msg
	start_relay --nameplate-grace 1
	start_bg listener /dev/null "$SEALCAT" listen -v --code --via "$RELAY"
	LISTENER_PID=$BG_PID
	wait_lines relay.err 'waits for a connector' 1
	code=$(code_of listener.err)
	mkfifo silent
	sleep 3 >silent &
	start_bg staller silent "${PYTHON3:-python3}" \
	    "$SEALCAT_SRCDIR/tests/cli/relay_side.py" "${RELAY##*:}" "CLAIM 1"
	wait_lines relay.err 'waits for a connector' 2
	run code_connect msg /dev/null --code "$code"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file msg listener.out
}

@test "code mode: an unknown number is the relay's refusal" {
	start_relay
	w=$(a_word 7)
	run timeout "$WATCHDOG" "$SEALCAT" connect --code "4242-$w-$w" \
	    --via "$RELAY" </dev/null
	assert_status 1
	assert_one_line_error "^sealcat: relay $RELAY refused: unknown code number — check the code's number and that the listener runs listen --code --via with this relay$"
}

@test "id taken: a second listener with the same key exits 1" {
	start_relay
	via_listener /dev/null --allow "$CLIENT_TOKEN"
	run timeout "$WATCHDOG" "$SEALCAT" listen -i "$SERVER_ID" \
	    --allow "$CLIENT_TOKEN" --via "$RELAY" </dev/null
	assert_status 1
	assert_one_line_error "^sealcat: relay $RELAY refused: another listener with that key is waiting — another sealcat listen with this key waits there — stop it, or use another key \(-i\)$"
}

@test "busy and per-source limit: connect reports the relay's refusal" {
	start_relay --max-waiting 1
	via_listener /dev/null --allow "$CLIENT_TOKEN"
	other=$("$SEALCAT" keygen -o other_id)
	run via_connect /dev/null /dev/null --peer "$other"
	assert_status 1
	assert_one_line_error "^sealcat: relay $RELAY refused: busy — "
	kill "$RELAY_PID" "$LISTENER_PID"
	wait_bg "$RELAY_PID"
	start_relay --max-per-source 1
	via_listener /dev/null --allow "$CLIENT_TOKEN"
	run via_connect /dev/null /dev/null --peer "$SERVER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: relay $RELAY refused: limit reached — "
}

@test "wait timeout: the listener registers again and still serves" {
	printf 'after a timeout\n' >msg
	start_relay --wait 1
	via_listener /dev/null --allow "$CLIENT_TOKEN"
	wait_lines listener.err 'waited long enough — registering again' 1
	wait_lines relay.err 'waits for a connector' 2
	run via_connect msg /dev/null --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file msg listener.out
}

@test "the listener registers again after the relay restarts" {
	printf 'after a restart\n' >msg
	start_relay
	port=$PORT
	via_listener /dev/null --allow "$CLIENT_TOKEN"
	kill "$RELAY_PID"
	wait_bg "$RELAY_PID"
	wait_lines listener.err "relay $RELAY (dropped the connection|cannot be reached)" 1
	start_bg relay /dev/null "$SEALCAT" relay -v 127.0.0.1 "$port"
	RELAY_PID=$BG_PID
	wait_lines relay.err 'waits for a connector' 1
	run via_connect msg /dev/null --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file msg listener.out
	assert_line_in listener.err "^sealcat: registered at relay $RELAY again$"
}

@test "listen -k --via serves 20 clients in a row" {
	start_relay --source-rate 1000
	via_listener /dev/null -k --allow "$CLIENT_TOKEN"
	for i in $(seq 1 20); do
		printf 'client %s\n' "$i" >"in.$i"
		run via_connect "in.$i" /dev/null --peer "$SERVER_TOKEN"
		assert_status 0
	done
	wait_for_content listener.out "$(cat in.{1..20})"
}

@test "listen -k --via --exec serves 10 clients at once" {
	start_relay --source-rate 1000
	via_listener /dev/null -k --allow "$CLIENT_TOKEN" --max-conns 10 \
	    --exec 'cat; echo served'
	pids=()
	for i in $(seq 1 10); do
		random_file "in.$i" 100000
		start_bg "c$i" "in.$i" "$SEALCAT" connect -i "$CLIENT_ID" \
		    --via "$RELAY" --peer "$SERVER_TOKEN" --retry 20
		pids+=("$BG_PID")
	done
	for i in $(seq 1 10); do
		wait_bg "${pids[$((i - 1))]}"
		assert_status 0 || { cat "c$i.err" listener.err >&2; return 1; }
		{ cat "in.$i"; echo served; } >"want.$i"
		assert_same_file "want.$i" "c$i.out"
	done
}

@test "connect --local --via: curl through the relay to an HTTP server" {
	mkdir www
	random_file www/blob 300000
	start_bg http /dev/null "$PY" "$SEALCAT_SRCDIR/tests/cli/http_server.py" \
	    www tcp
	wait_listening http
	http_port=$PORT
	start_relay
	via_listener /dev/null -k --allow "$CLIENT_TOKEN" \
	    --forward "127.0.0.1:$http_port"
	start_bg local /dev/null "$SEALCAT" connect -v -i "$CLIENT_ID" \
	    --via "$RELAY" --peer "$SERVER_TOKEN" --local 127.0.0.1:0
	wait_listening local
	for i in 1 2 3; do
		run curl -sf -o "got.$i" "http://127.0.0.1:$PORT/blob"
		assert_status 0
		assert_same_file www/blob "got.$i"
	done
}

@test "a relay that cuts the stream: the connector exits 1, truncated" {
	random_file big 3000000
	start_bg fake /dev/null "$PY" "$SEALCAT_SRCDIR/tests/cli/via_fake_relay.py" \
	    --cut-after 500000
	wait_listening fake
	RELAY=127.0.0.1:$PORT
	start_bg listener big "$SEALCAT" listen -i "$SERVER_ID" \
	    --allow "$CLIENT_TOKEN" --via "$RELAY"
	LISTENER_PID=$BG_PID
	run via_connect /dev/null c.out --peer "$SERVER_TOKEN"
	assert_status 1
	assert_prefix c.out big
	wait_bg "$LISTENER_PID"
	assert_status 1
}

@test "a relay that flips a byte after OK: the session fails, no data out" {
	random_file data 100000
	start_bg fake /dev/null "$PY" "$SEALCAT_SRCDIR/tests/cli/via_fake_relay.py" \
	    --flip-at 200
	wait_listening fake
	RELAY=127.0.0.1:$PORT
	start_bg listener data "$SEALCAT" listen -i "$SERVER_ID" \
	    --allow "$CLIENT_TOKEN" --via "$RELAY"
	LISTENER_PID=$BG_PID
	run via_connect /dev/null c.out --peer "$SERVER_TOKEN"
	assert_status 1
	[ ! -s c.out ]
	kill "$LISTENER_PID" 2>/dev/null || true
}

@test "a relay that cuts the other way: the listener exits 1, truncated" {
	random_file big 3000000
	start_bg fake /dev/null "$PY" "$SEALCAT_SRCDIR/tests/cli/via_fake_relay.py" \
	    --cut-back-after 400000
	wait_listening fake
	RELAY=127.0.0.1:$PORT
	start_bg listener /dev/null "$SEALCAT" listen -i "$SERVER_ID" \
	    --allow "$CLIENT_TOKEN" --via "$RELAY"
	LISTENER_PID=$BG_PID
	run via_connect big /dev/null --peer "$SERVER_TOKEN"
	assert_status 1
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_prefix listener.out big
}

@test "half-close through the relay: the answer after the FIN comes back" {
	random_file up 500000
	start_relay
	via_listener /dev/null --allow "$CLIENT_TOKEN" \
	    --exec 'wc -c; echo after-eof'
	run via_connect up c.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(tr -d ' ' <c.out)" = "$(printf '500000\nafter-eof')" ]
}
