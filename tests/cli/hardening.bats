#!/usr/bin/env bats
# hardening.bats - what a running sealcat does about its secrets, seen
# from outside: core dumps off, the process not dumpable, the private key
# and the relay buffers locked in memory (where RLIMIT_MEMLOCK allows;
# sealcat goes on silently where it does not), and a fresh ephemeral key
# for every connection.  test_secrets.c checks the wiping, which cannot be
# seen from outside.

load helpers

setup() {
	common_setup
	make_identities
}

teardown() {
	pipe_teardown
}

# sealcat_of PID: the sealcat process under the watchdog PID.
sealcat_of() {
	local kids
	kids=$(cat "/proc/$1/task/$1/children" 2>/dev/null) || kids=""
	kids=${kids%% *}
	[ -n "$kids" ] || { echo "no process under $1" >&2; return 1; }
	echo "$kids"
}

locked_kb() {
	awk '/^VmLck:/ { print $2 }' "/proc/$1/status"
}

# memlock_limit_kb PID: the soft RLIMIT_MEMLOCK of PID in kB, or
# "unlimited".
memlock_limit_kb() {
	awk '/^Max locked memory/ {
		print ($4 == "unlimited") ? "unlimited" : int($4 / 1024) }' \
	    "/proc/$1/limits"
}

# can_lock PID KB: RLIMIT_MEMLOCK lets PID lock KB kB (root always can),
# and the binary is not built with AddressSanitizer, which turns mlock()
# into a no-op.
can_lock() {
	local limit
	if grep -q __asan_init "$SEALCAT"; then
		LOCK_SKIP="this sealcat is built with AddressSanitizer, which makes mlock() a no-op"
		return 1
	fi
	limit=$(memlock_limit_kb "$1")
	LOCK_SKIP="RLIMIT_MEMLOCK is $limit kB here: sealcat goes on without locking"
	[ "$(id -u)" -eq 0 ] || [ "$limit" = unlimited ] || [ "$limit" -ge "$2" ]
}

@test "a listener runs with core dumps off, soft and hard" {
	start_listener --allow "$CLIENT_TOKEN"
	local pid
	pid=$(sealcat_of "$LISTENER_PID")
	grep -Eq '^Max core file size +0 +0 ' "/proc/$pid/limits" || {
		grep 'core' "/proc/$pid/limits" >&2
		return 1
	}
}

@test "a listener is not dumpable: its /proc entries are root's" {
	[ "$(id -u)" -ne 0 ] ||
	    skip "running as root, who sees every process alike — test_secrets checks PR_GET_DUMPABLE"
	start_listener --allow "$CLIENT_TOKEN"
	local pid
	pid=$(sealcat_of "$LISTENER_PID")
	[ "$(stat -c %u "/proc/$pid/fd")" -eq 0 ]
	run cat "/proc/$pid/environ"
	assert_status 1
}

# secret_arena PID KEYFILE: finds the secret arena of PID in its smaps (the
# mapping named /memfd:sealcat-secrets) and prints "SIZE LOCKED FLAGS HAS":
# its size and locked kB, its VmFlags joined by commas, and "key" if it
# holds KEYFILE's private key (read from /proc/PID/mem), else "nokey".
# Prints nothing (and why, on stderr) unless PID has exactly one arena.
secret_arena() {
	timeout 30 "${PYTHON3:-python3}" - "$1" "$2" <<'EOF'
import base64, re, sys
pid, keyfile = sys.argv[1], sys.argv[2]
secret = base64.b64decode(open(keyfile).read().split("\n")[1])
arenas, cur = [], None
for line in open("/proc/%s/smaps" % pid):
    m = re.match(r"([0-9a-f]+)-([0-9a-f]+) ", line)
    if m:
        cur = None
        if line.rstrip("\n").endswith("/memfd:sealcat-secrets (deleted)"):
            cur = {"lo": int(m.group(1), 16), "hi": int(m.group(2), 16)}
            arenas.append(cur)
    elif cur is not None:
        key, _, value = line.partition(":")
        cur[key] = value.strip()
if len(arenas) != 1:
    print("%d secret arenas in smaps" % len(arenas), file=sys.stderr)
    sys.exit(0)
a = arenas[0]
with open("/proc/%s/mem" % pid, "rb") as mem:
    mem.seek(a["lo"])
    data = mem.read(a["hi"] - a["lo"])
print(a["Size"].split()[0], a["Locked"].split()[0],
      a["VmFlags"].replace(" ", ","), "key" if secret in data else "nokey")
EOF
}

@test "a waiting listener keeps its private key in the locked secret arena" {
	# The identity lives in one mapping that holds nothing but secrets:
	# that mapping must hold this listener's private key and be locked,
	# every page of it.
	[ "$(id -u)" -eq 0 ] ||
	    skip "the smaps and memory of a non-dumpable process are root's — test_secrets checks the arena from inside"
	start_listener --allow "$CLIENT_TOKEN"
	local pid size locked flags has
	pid=$(sealcat_of "$LISTENER_PID")
	run --separate-stderr secret_arena "$pid" "$SERVER_ID"
	assert_status 0
	echo "# arena: ${output:-none ($stderr)}" >&3
	read -r size locked flags has <<<"$output"
	if [ -z "$size" ] || [ "$has" != key ]; then
		echo "want the key in one secret arena; got:" \
		    "${output:-$stderr}" >&2
		return 1
	fi
	can_lock "$pid" 8 || skip "$LOCK_SKIP"
	if [[ ,$flags, != *,lo,* ]] || [ "$locked" -ne "$size" ]; then
		echo "want the arena locked (VmFlags lo, Locked == Size); got:" \
		    "$output" >&2
		return 1
	fi
}

@test "during a connection both ends keep the relay buffers (plaintext) locked" {
	# Inputs that stay open keep both streams, and the connection, up.
	hold_open to_listener done
	hold_open to_client done
	LISTEN_IN=to_listener start_listener --allow "$CLIENT_TOKEN"
	start_bg client to_client "$SEALCAT" connect -v -i "$CLIENT_ID" \
	    --peer "$SERVER_TOKEN" 127.0.0.1 "$PORT"
	local client=$BG_PID server client_pid i
	wait_for_line listener.err ' is x25519:'
	server=$(sealcat_of "$LISTENER_PID")
	client_pid=$(sealcat_of "$client")
	# Two relay buffers of 65537 bytes: 132 kB at least.
	can_lock "$server" 256 || skip "$LOCK_SKIP"
	for ((i = 0; i < 100; i++)); do
		[ "$(locked_kb "$server")" -ge 132 ] &&
		    [ "$(locked_kb "$client_pid")" -ge 132 ] && break
		sleep 0.05
	done
	echo "# locked: listener $(locked_kb "$server") kB," \
	    "client $(locked_kb "$client_pid") kB" >&3
	[ "$(locked_kb "$server")" -ge 132 ]
	[ "$(locked_kb "$client_pid")" -ge 132 ]
	touch done
	wait_bg "$client"
	assert_status 0
}

# server_ephemerals PORT N: N times, speaks to the listener at PORT as an
# x25519 initiator up to message 2 (a random e of its own) and prints the
# ephemeral public key the listener sent in message 2, in hex.
server_ephemerals() {
	timeout 30 "${PYTHON3:-python3}" - "$1" "$2" <<'EOF'
import os, socket, sys
line = b"SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b\n"
for _ in range(int(sys.argv[2])):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(line + b"\x00\x20" + os.urandom(32))
    got = b""
    while len(got) < len(line) + 2 + 32:
        data = s.recv(4096)
        if not data:
            break
        got += data
    assert got.startswith(line), got
    print(got[len(line) + 2:len(line) + 2 + 32].hex())
    s.close()
EOF
}

@test "every connection gets a fresh ephemeral key (listen -k, serial and forked)" {
	# A listener makes the next connection's ephemeral key while it
	# waits; each one must serve one connection only.
	start_listener --allow "$CLIENT_TOKEN" -k
	run server_ephemerals "$PORT" 4
	assert_status 0
	[ "${#lines[@]}" -eq 4 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" -eq 4 ]
	kill "$LISTENER_PID"
	start_listener --allow "$CLIENT_TOKEN" -k --exec cat
	run server_ephemerals "$PORT" 4
	assert_status 0
	[ "${#lines[@]}" -eq 4 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" -eq 4 ]
}
