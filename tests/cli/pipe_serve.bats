#!/usr/bin/env bats
# pipe_serve.bats - serving: listen -k with --exec and --forward, many
# clients at once, connect -e, serial -k on stdio, --max-conns, the ending
# rules for terminals and closed outputs, --idle and --keepalive.

load helpers

setup() {
	common_setup
	make_identities
}

teardown() {
	pipe_teardown
}

# sealcat_pid: the sealcat process under the listener's watchdog.
sealcat_pid() {
	pgrep -P "$LISTENER_PID" -x sealcat
}

# assert_no_zombies PID: within 10 s, PID has no zombie children left.
assert_no_zombies() {
	local i
	for ((i = 0; i < 1000; i++)); do
		if ! ps -o stat= --ppid "$1" | grep -q Z; then
			return 0
		fi
		sleep 0.01
	done
	echo "zombie children of $1:" >&2
	ps -o pid,stat,args --ppid "$1" >&2
	return 1
}

@test "listen -k --exec cat serves 20 clients at once, each its own data" {
	start_listener --allow "$CLIENT_TOKEN" -k --exec cat
	local i pids=()
	for ((i = 0; i < 20; i++)); do
		random_file "in$i" $((200000 + i * 1000))
		connect_io "in$i" "out$i" --peer "$SERVER_TOKEN" 2>"err$i" 3>&- &
		pids+=("$!")
		BG_PIDS+=("$!")
	done
	for ((i = 0; i < 20; i++)); do
		wait_bg "${pids[$i]}"
		assert_status 0
		assert_same_file "in$i" "out$i"
		[ ! -s "err$i" ]
	done
	local pid
	pid=$(sealcat_pid)
	[ -n "$pid" ]
	assert_no_zombies "$pid"
	# Only the listener itself is left: every child was reaped.
	[ -z "$(ps -o pid= --ppid "$pid")" ]
}

@test "--exec sees SEALCAT_PEER and SEALCAT_PEER_ADDR, and its stderr is ours" {
	start_listener --allow "$CLIENT_TOKEN" --exec \
	    'printf "%s %s" "$SEALCAT_PEER" "$SEALCAT_PEER_ADDR"; echo to-stderr >&2'
	run connect_io /dev/null client.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[[ $(cat client.out) =~ ^"$CLIENT_TOKEN 127.0.0.1:"[0-9]+$ ]]
	assert_line_in listener.err '^to-stderr$'
}

@test "--exec runs with SIGPIPE at its default" {
	# With SIGPIPE ignored, yes would complain about a broken pipe.
	start_listener --allow "$CLIENT_TOKEN" --exec 'yes | head -c 3'
	run connect_io /dev/null client.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat client.out)" = "$(printf 'y\ny')" ]
	if grep -i 'broken pipe' listener.err; then
		return 1
	fi
}

@test "--forward relays each connection to a TCP service" {
	start_bg echo /dev/null "${PYTHON3:-python3}" \
	    "$SEALCAT_SRCDIR/tests/cli/echo_server.py"
	wait_listening echo
	local echo_port=$PORT
	start_listener --allow "$CLIENT_TOKEN" -k --forward "127.0.0.1:$echo_port"
	random_file data1 300000
	random_file data2 300000
	connect_io data1 out1 --peer "$SERVER_TOKEN" 2>err1 3>&- &
	local first=$!
	BG_PIDS+=("$first")
	run connect_io data2 out2 --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$first"
	assert_status 0
	assert_same_file data1 out1
	assert_same_file data2 out2
	assert_line_in listener.err "^sealcat: forwarding to 127\.0\.0\.1:$echo_port$"
}

@test "--forward to a closed port: the client learns why, no data moves" {
	local port
	port=$("${PYTHON3:-python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	start_listener --allow "$CLIENT_TOKEN" --forward "127.0.0.1:$port"
	printf 'payload' >data
	run connect_io data client.out --peer "$SERVER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: rejected by peer: forward target unavailable$"
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_line_in listener.err "^sealcat: cannot connect to --forward target 127\.0\.0\.1:$port: connection refused"
	[ ! -s client.out ]
}

@test "connect -e runs the command on the client's side of the stream" {
	random_file data 500000
	LISTEN_IN=data start_listener --allow "$CLIENT_TOKEN"
	run connect_io /dev/null client.out --peer "$SERVER_TOKEN" -e 'sha256sum'
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = "$(sha256sum <data)" ]
	[ ! -s client.out ]
}

@test "listen -k without --exec serves clients one after another on stdout" {
	start_listener --allow "$CLIENT_TOKEN" -k
	printf 'first,' >a
	printf 'second' >b
	run connect_io a /dev/null --peer "$SERVER_TOKEN"
	assert_status 0
	run connect_io b /dev/null --peer "$SERVER_TOKEN"
	assert_status 0
	wait_for_content listener.out 'first,second'
	kill -0 "$LISTENER_PID"
}

@test "--max-conns 1: a second client waits for the first to finish" {
	start_listener --allow "$CLIENT_TOKEN" -k --exec cat --max-conns 1
	hold_open first_in first_done 'one'
	connect_io first_in first.out --peer "$SERVER_TOKEN" 2>first.err 3>&- &
	local first=$!
	BG_PIDS+=("$first")
	# Once the first is being served, the second is queued, not answered
	# (nothing signals an absence, so give it a moment to show).
	wait_for_line listener.err ' is x25519:'
	printf 'two' >second_in
	connect_io second_in second.out --peer "$SERVER_TOKEN" -w 30 \
	    2>second.err 3>&- &
	local second=$!
	BG_PIDS+=("$second")
	sleep 0.5
	[ "$(grep -c 'connection from' listener.err)" -eq 1 ]
	[ ! -s second.out ]
	kill -0 "$second"
	touch first_done
	wait_bg "$first"
	assert_status 0
	wait_bg "$second"
	assert_status 0
	[ "$(cat first.out)" = one ]
	[ "$(cat second.out)" = two ]
}

@test "a listener whose stdin is a terminal ends when the client is done" {
	printf 'to the terminal side' >data
	# The listener's stdin is a pseudo-terminal nobody types into.
	start_bg listener /dev/null "${PYTHON3:-python3}" -c '
import os, pty, subprocess, sys
master, slave = pty.openpty()
sys.exit(subprocess.run(sys.argv[1:], stdin=slave).returncode)
' "$SEALCAT" listen -v -i "$SERVER_ID" --allow "$CLIENT_TOKEN" 127.0.0.1 0
	LISTENER_PID=$BG_PID
	wait_listening listener
	run connect_io data client.out --peer "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	[ "$(cat listener.out)" = 'to the terminal side' ]
}

@test "closed output (listen | head): the listener says so, the sender fails" {
	random_file data 3000000
	start_bg listener /dev/null bash -c \
	    '"$0" "$@" | head -c 100 >head.out; exit "${PIPESTATUS[0]}"' \
	    "$SEALCAT" listen -v -i "$SERVER_ID" --allow "$CLIENT_TOKEN" 127.0.0.1 0
	LISTENER_PID=$BG_PID
	wait_listening listener
	run connect_io data client.out --peer "$SERVER_TOKEN"
	# The listener's CLOSE went first (its stdin is empty): its ERROR
	# after it answers our stream instead of DONE.
	assert_status 1
	assert_one_line_error "^sealcat: 127\.0\.0\.1:$PORT could not deliver our stream: Broken pipe — it does not have all of it$"
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_line_in listener.err "^sealcat: cannot write standard output: it was closed before the end of the stream"
	[ "$(wc -c <head.out)" -eq 100 ]
	cmp -n 100 head.out data
}

@test "--idle ends a silent connection and tells the peer" {
	hold_open server_in server_done
	hold_open client_in client_done
	LISTEN_IN=server_in start_listener --allow "$CLIENT_TOKEN"
	SECONDS=0
	run connect_io client_in client.out --peer "$SERVER_TOKEN" --idle 1
	assert_status 1
	assert_one_line_error "^sealcat: no traffic with 127\.0\.0\.1:$PORT for 1 s \(--idle\) — closing the connection$"
	(( SECONDS < 8 ))
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_line_in listener.err "^sealcat: rejected by peer: idle timeout$"
	touch server_done client_done
}

@test "--keepalive PINGs keep a peer's --idle from firing" {
	hold_open server_in server_done
	hold_open client_in client_done 'after the quiet'
	LISTEN_IN=server_in start_listener --allow "$CLIENT_TOKEN" --idle 2
	connect_io client_in client.out --peer "$SERVER_TOKEN" --keepalive 1 \
	    2>client.err 3>&- &
	local client=$!
	BG_PIDS+=("$client")
	# Longer than --idle with nothing but PINGs on the wire.
	sleep 3.5
	touch client_done
	wait_for_content listener.out 'after the quiet'
	touch server_done
	wait_bg "$client"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
}

@test "rsync -e through sealcat connect --exit-with-peer, both ways" {
	command -v rsync >/dev/null ||
	    skip "rsync not found — run ./bootstrap or install rsync"
	mkdir -p src dst back
	random_file src/big 300000
	printf 'small\n' >src/small
	printf 'use chroot = no\n[m]\npath = %s/dst\nread only = no\n' \
	    "$PWD" >rsyncd.conf
	if [ "$(id -u)" -eq 0 ]; then
		# As root the daemon would switch to nobody, who cannot write
		# here.
		printf 'uid = 0\ngid = 0\n' >>rsyncd.conf
	fi
	start_listener --allow "$CLIENT_TOKEN" -k \
	    -e "rsync --server --daemon --config=$PWD/rsyncd.conf ."
	# rsync appends "HOST rsync --server --daemon ." to the -e command.
	printf '#!/bin/sh\nexec "%s" connect -q -i "%s" --peer "%s" --exit-with-peer 127.0.0.1 %s\n' \
	    "$SEALCAT" "$CLIENT_ID" "$SERVER_TOKEN" "$PORT" >shell
	chmod +x shell
	run timeout 30 rsync -a -e "$PWD/shell" src/ localhost::m/
	assert_status 0
	cmp src/big dst/big
	cmp src/small dst/small
	run timeout 30 rsync -a -e "$PWD/shell" localhost::m/ back/
	assert_status 0
	cmp src/big back/big
	cmp src/small back/small
}
