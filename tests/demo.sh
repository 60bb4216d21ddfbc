#!/bin/sh
# demo.sh - the README quick start's real transfer (make demo): two fresh
# identities in a temporary directory, a listener on 127.0.0.1 that only
# lets the client in, a file piped through, and SHA-256 compared.
#
# The listener is waited for by its "listening on" line, against a
# deadline (DEMO_READY_S seconds, default 30: a busy machine is slow, not
# broken), and it is stopped and the directory removed on every way out,
# a signal included.
set -eu
: "${SEALCAT:?SEALCAT must point at the binary (make demo sets it)}"
ready_s=${DEMO_READY_S:-30}

dir=$(mktemp -d)
listener=
client=
cleanup() {
	for pid in $client $listener; do
		kill "$pid" 2>/dev/null || :
		wait "$pid" 2>/dev/null || :
	done
	rm -rf "$dir"
}
trap cleanup EXIT
# A POSIX shell runs the EXIT trap on exit, not when a signal ends it.
# It runs a signal's trap only once a foreground command has ended, so
# the two ends run in the background and the script waits for them.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
export XDG_CONFIG_HOME="$dir/config"

server=$("$SEALCAT" keygen -o "$dir/server")
client=$("$SEALCAT" keygen -o "$dir/client")
head -c 16777216 /dev/urandom >"$dir/file"

# The log exists before the listener starts: the background job opens it
# only when it gets to run.
: >"$dir/listen.log"
"$SEALCAT" listen -v -i "$dir/server" --allow "$client" 127.0.0.1 0 \
    </dev/null >"$dir/received" 2>"$dir/listen.log" &
listener=$!

# Port 0: the listener picks a free port and reports it with -v (in one
# write, so a line that is there is whole).
deadline=$(($(date +%s) + ready_s))
while :; do
	port=$(sed -n 's/^sealcat: listening on .*:\([0-9][0-9]*\)$/\1/p' \
	    "$dir/listen.log")
	[ -z "$port" ] || break
	if ! kill -0 "$listener" 2>/dev/null; then
		echo "demo: the listener exited before it was listening:" >&2
		cat "$dir/listen.log" >&2
		exit 1
	fi
	if [ "$(date +%s)" -ge "$deadline" ]; then
		echo "demo: the listener was not listening after $ready_s s" \
		    "(DEMO_READY_S); its log:" >&2
		cat "$dir/listen.log" >&2
		exit 1
	fi
	sleep 0.05
done

"$SEALCAT" connect -i "$dir/client" --peer "$server" 127.0.0.1 "$port" \
    <"$dir/file" &
client=$!
status=0
wait "$client" || status=$?
client=
if [ "$status" -ne 0 ]; then
	echo "demo: sealcat connect failed (exit status $status)" >&2
	exit 1
fi
wait "$listener" || status=$?
listener=
if [ "$status" -ne 0 ]; then
	echo "demo: the listener failed (exit status $status):" >&2
	cat "$dir/listen.log" >&2
	exit 1
fi

sent=$(sha256sum <"$dir/file" | cut -d' ' -f1)
received=$(sha256sum <"$dir/received" | cut -d' ' -f1)
if [ "$sent" != "$received" ]; then
	echo "demo: FAILED: sent $sent, received $received" >&2
	exit 1
fi
echo "demo: 'sealcat connect' sent 16 MiB to 'sealcat listen' on" \
    "127.0.0.1:$port; each end proved its key to the other (Noise XX," \
    "x25519) and the stream travelled encrypted and authenticated;" \
    "SHA-256 $sent at both ends."
