#!/usr/bin/env bats
# demo.bats - tests/demo.sh (make demo, the README's quick start) waits
# for its listener against a deadline and leaves nothing behind on any way
# out: no listener, no client, no temporary directory.  A stand-in for
# sealcat decides what its listener and client do.

load helpers

setup() {
	common_setup
	mkdir tmp
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
}

teardown() {
	pipe_teardown
}

# fake_sealcat LISTEN CONNECT: writes ./fake_sealcat, which runs the real
# binary for keygen, records its PID in listener.pid or client.pid, and
# then runs the real subcommand ("real") or sleeps ("hang").
fake_sealcat() {
	cat >fake_sealcat <<FAKE
#!/bin/sh
case \$1 in
listen) echo \$\$ >"$BATS_TEST_TMPDIR/listener.pid"; mode=$1 ;;
connect) echo \$\$ >"$BATS_TEST_TMPDIR/client.pid"; mode=$2 ;;
*) mode=real ;;
esac
[ "\$mode" = real ] || exec sleep 300
exec "$SEALCAT" "\$@"
FAKE
	chmod +x fake_sealcat
}

# assert_gone NAME: the process whose PID is in NAME.pid has ended.
assert_gone() {
	local pid
	pid=$(cat "$1.pid")
	if [ -e "/proc/$pid" ] &&
	    grep -q -e sealcat -e sleep "/proc/$pid/cmdline" 2>/dev/null; then
		echo "the $1 ($pid) is still running: $(tr '\0' ' ' \
		    <"/proc/$pid/cmdline")" >&2
		return 1
	fi
}

# assert_no_leftovers: demo.sh's temporary directory is gone.
assert_no_leftovers() {
	if [ -n "$(ls -A tmp)" ]; then
		echo "left behind in TMPDIR: $(ls -A tmp)" >&2
		return 1
	fi
}

@test "demo.sh passes, and cleans up after itself" {
	run env SEALCAT="$SEALCAT" sh "$SEALCAT_SRCDIR/tests/demo.sh"
	assert_status 0
	[[ $output == "demo: 'sealcat connect' sent 16 MiB to 'sealcat listen' on 127.0.0.1:"* ]]
	assert_no_leftovers
}

@test "demo.sh stopped by SIGTERM during the transfer stops its listener and client" {
	fake_sealcat real hang
	SEALCAT=./fake_sealcat sh "$SEALCAT_SRCDIR/tests/demo.sh" \
	    >demo.out 2>demo.err 3>&- &
	local demo=$!
	BG_PIDS+=("$demo")
	wait_for_file client.pid
	wait_for_line listener.pid '^[0-9]+$'
	kill -TERM "$demo"
	wait_bg "$demo"
	assert_status 143
	assert_gone listener
	assert_gone client
	assert_no_leftovers
}

@test "demo.sh gives up on a listener that never says where it listens, and stops it" {
	fake_sealcat hang hang
	run env SEALCAT=./fake_sealcat DEMO_READY_S=1 \
	    sh "$SEALCAT_SRCDIR/tests/demo.sh"
	assert_status 1
	[[ $output == "demo: the listener was not listening after 1 s (DEMO_READY_S); its log:"* ]]
	assert_gone listener
	[ ! -e client.pid ]
	assert_no_leftovers
}
