#!/usr/bin/env bats
# passphrase.bats - identities protected by a passphrase, end to end: keygen
# and passwd at a prompt on a pseudo-terminal (tests/cli/pty_run.py), the
# unlock sources (the terminal, --passphrase-file, the systemd credential,
# SEALCAT_PASSPHRASE_FD), a wrong passphrase, no terminal and no source, a
# damaged file, a kill in the middle of passwd's rewrite, and where the
# passphrase must never show up.  Keys use the smallest Argon2id cost
# (--kdf-memory 1), except in the one test of the default cost.

load helpers

setup() {
	common_setup
	unset CREDENTIALS_DIRECTORY SEALCAT_PASSPHRASE_FD
	printf 'sesame\n' >pass
	printf 'fresh\n' >fresh
	printf 'not it\n' >wrong
	chmod 600 pass fresh wrong
}

teardown() {
	pipe_teardown
}

# pty ARGS...: tests/cli/pty_run.py under the watchdog.
pty() {
	timeout "$WATCHDOG" "${PYTHON3:-python3}" \
	    "$SEALCAT_SRCDIR/tests/cli/pty_run.py" "$@"
}

# protect_identities [SUITE]: make_identities, with both keys protected by
# the passphrase in ./pass.
protect_identities() {
	local suite=${1:-x25519}
	SERVER_ID=$BATS_TEST_TMPDIR/server_$suite
	CLIENT_ID=$BATS_TEST_TMPDIR/client_$suite
	SERVER_TOKEN=$("$SEALCAT" keygen --suite "$suite" --passphrase-file pass \
	    --kdf-memory 1 -o "$SERVER_ID") &&
	    CLIENT_TOKEN=$("$SEALCAT" keygen --suite "$suite" \
	    --passphrase-file pass --kdf-memory 1 -o "$CLIENT_ID")
}

# unlocks KEY [ARGS...]: sealcat listen gets KEY unlocked (with ARGS, say
# --passphrase-file FILE) as far as listening, without a terminal.
unlocks() {
	local key=$1 pid
	shift
	start_bg unlock /dev/null setsid -w "$SEALCAT" listen -v -i "$key" \
	    "$@" --allow-any 127.0.0.1 0
	pid=$BG_PID
	if ! wait_listening unlock 2>/dev/null; then
		wait_bg "$pid"
		return 1
	fi
	kill "$pid"
	wait_bg "$pid"
}

# sealcat_under PID: the first sealcat process at or under PID.
sealcat_under() {
	local queue=("$1") pid i
	for ((i = 0; i < 100 && ${#queue[@]} > 0; i++)); do
		pid=${queue[0]}
		queue=("${queue[@]:1}")
		if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sealcat ]; then
			echo "$pid"
			return 0
		fi
		queue+=($(cat /proc/"$pid"/task/*/children 2>/dev/null))
	done
	echo "no sealcat under $1" >&2
	return 1
}

# assert_not_in FILE TEXT: FILE does not contain TEXT.
assert_not_in() {
	if grep -qF -- "$2" "$1"; then
		echo "$1 contains '$2':" >&2
		cat -A "$1" >&2
		return 1
	fi
}

# key_version KEY: prints the version on line 1 of KEY (v1 or v2).
key_version() {
	head -n 1 "$1" | awk '{ print $4 }'
}

@test "keygen --passphrase asks twice on the terminal without echo and writes a protected key" {
	run pty --transcript tty.log \
	    -e 'New passphrase for k: $' -s 'typed secret' \
	    -e 'Repeat the new passphrase: $' -s 'typed secret' \
	    -- "$SEALCAT" keygen --passphrase --kdf-memory 1 -o k </dev/null
	assert_status 0
	# stdout is the token alone: the prompts went to the terminal.
	[[ $output =~ ^x25519:[A-Za-z0-9+/]{43}=$ ]]
	local token=$output
	[ "$(key_version k)" = v2 ]
	[ "$(stat -c %a k)" = 600 ]
	assert_not_in tty.log 'typed secret'
	run "$SEALCAT" pubkey -i k
	assert_status 0
	[ "$output" = "$token" ]
	printf 'typed secret\n' >typed
	chmod 600 typed
	unlocks k --passphrase-file typed
}

@test "keygen --passphrase: two different answers write nothing (exit 1)" {
	run pty -e 'New passphrase' -s 'one' -e 'Repeat' -s 'two' \
	    -- "$SEALCAT" keygen --passphrase --kdf-memory 1 -o k
	assert_status 1
	assert_one_line_error 'the two passphrases differ'
	[ ! -e k ] && [ ! -e k.pub ]
}

@test "keygen --passphrase without a terminal fails at once (exit 2) and writes nothing" {
	run setsid -w timeout 10 "$SEALCAT" keygen --passphrase -o k
	assert_status 2
	assert_one_line_error 'no terminal to ask for the new passphrase of k'
	[ ! -e k ] && [ ! -e k.pub ]
}

@test "keygen --passphrase-file with the default cost: m=262144 t=3, and it unlocks" {
	run "$SEALCAT" keygen --passphrase-file pass -o k
	assert_status 0
	grep -qx 'kdf argon2id v=19 m=262144 t=3 p=1 salt=[A-Za-z0-9+/]\{22\}==' k
	unlocks k --passphrase-file pass
}

@test "connect asks on the terminal while stdin and stdout carry the data" {
	make_identities
	local client=$BATS_TEST_TMPDIR/client_protected
	local token
	token=$("$SEALCAT" keygen --passphrase-file pass --kdf-memory 1 \
	    -o "$client")
	start_listener --allow "$token"
	random_file data 100000
	run pty --transcript tty.log -e "Passphrase for $client: \$" -s sesame \
	    -- "$SEALCAT" connect -i "$client" -p "$SERVER_TOKEN" 127.0.0.1 \
	    "$PORT" <data >out
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file data "$BATS_TEST_TMPDIR/listener.out"
	[ ! -s out ]
	assert_not_in tty.log sesame
}

@test "listen -k asks once on the terminal, serves every connection, and keeps no passphrase in memory" {
	make_identities
	local server=$BATS_TEST_TMPDIR/server_protected
	local token pid i
	printf 'prompt-needle-%s\n' "$RANDOM$RANDOM" >needle
	chmod 600 needle
	token=$("$SEALCAT" keygen --passphrase-file needle --kdf-memory 1 \
	    -o "$server")
	start_bg listener /dev/null "${PYTHON3:-python3}" \
	    "$SEALCAT_SRCDIR/tests/cli/pty_run.py" --transcript tty.log \
	    -e 'Passphrase for .*: $' -s "$(cat needle)" \
	    -- "$SEALCAT" listen -k -v -i "$server" -e 'echo served' \
	    --allow "$CLIENT_TOKEN" 127.0.0.1 0
	LISTENER_PID=$BG_PID
	wait_listening listener
	for i in 1 2 3; do
		run connect_io /dev/null "out$i" -p "$token"
		assert_status 0
		[ "$(cat "out$i")" = served ]
	done
	[ "$(grep -o 'Passphrase for' tty.log | wc -l)" -eq 1 ]
	assert_not_in tty.log "$(cat needle)"
	pid=$(sealcat_under "$LISTENER_PID")
	# Core dumps off while the key is in memory.
	grep -Eq '^Max core file size +0 +0 ' "/proc/$pid/limits"
	[ "$(id -u)" -eq 0 ] ||
	    skip "reading another process's memory needs root here"
	run "${PYTHON3:-python3}" "$SEALCAT_SRCDIR/tests/cli/memscan.py" \
	    "$pid" "$(cat needle)"
	echo "$output" >&2
	assert_status 0
	# The scan can find what is there: a shell holding the same text.
	bash -c 'x=$1; sleep 30; echo "$x"' _ "$(cat needle)" 3>&- &
	BG_PIDS+=("$!")
	sleep 0.1
	run "${PYTHON3:-python3}" "$SEALCAT_SRCDIR/tests/cli/memscan.py" \
	    "$!" "$(cat needle)"
	assert_status 1
}

@test "--passphrase-file unlocks listen and connect, both suites" {
	local suite
	for suite in x25519 p256; do
		protect_identities "$suite"
		start_listener --passphrase-file pass --allow "$CLIENT_TOKEN"
		random_file "data_$suite" 5000
		run connect_io "data_$suite" /dev/null --passphrase-file pass \
		    -p "$SERVER_TOKEN"
		assert_status 0
		wait_bg "$LISTENER_PID"
		assert_status 0
		assert_same_file "data_$suite" "$BATS_TEST_TMPDIR/listener.out"
	done
}

@test "the systemd credential \$CREDENTIALS_DIRECTORY/sealcat-passphrase unlocks" {
	protect_identities
	mkdir creds
	cp pass creds/sealcat-passphrase
	chmod 400 creds/sealcat-passphrase
	CREDENTIALS_DIRECTORY=$BATS_TEST_TMPDIR/creds \
	    start_listener --allow "$CLIENT_TOKEN"
	echo hello >data
	CREDENTIALS_DIRECTORY=$BATS_TEST_TMPDIR/creds \
	    run connect_io data /dev/null -p "$SERVER_TOKEN"
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_same_file data "$BATS_TEST_TMPDIR/listener.out"
}

@test "SEALCAT_PASSPHRASE_FD unlocks listen -k once; --exec children, ps and /proc see no passphrase" {
	local needle pid i
	needle="fd-needle-$RANDOM$RANDOM"
	printf '%s\n' "$needle" >fdpass
	chmod 600 fdpass
	make_identities
	local server=$BATS_TEST_TMPDIR/server_protected token
	token=$("$SEALCAT" keygen --passphrase-file fdpass --kdf-memory 1 \
	    -o "$server")
	# Descriptor 5 is read once and closed: every connection after the
	# first is served by the same unlock.
	start_bg listener /dev/null bash -c 'exec 5<"$1"; shift; exec "$@"' \
	    _ fdpass env SEALCAT_PASSPHRASE_FD=5 "$SEALCAT" listen -k -v \
	    -i "$server" --allow "$CLIENT_TOKEN" \
	    -e 'env; if [ -e /proc/$$/fd/5 ]; then echo fd5-open; else echo fd5-closed; fi' \
	    127.0.0.1 0
	LISTENER_PID=$BG_PID
	wait_listening listener
	for i in 1 2; do
		run connect_io /dev/null "child$i" -p "$token"
		assert_status 0
		assert_line_in "child$i" '^SEALCAT_PEER='
		assert_line_in "child$i" '^fd5-closed$'
		assert_not_in "child$i" "$needle"
		assert_not_in "child$i" SEALCAT_PASSPHRASE_FD
	done
	ps -eo args >ps.out
	assert_line_in ps.out 'sealcat listen -k'
	assert_not_in ps.out "$needle"
	pid=$(sealcat_under "$LISTENER_PID")
	[ "$(id -u)" -eq 0 ] || skip "/proc/PID/environ of a non-dumpable process needs root"
	tr '\0' '\n' <"/proc/$pid/environ" >environ.out
	assert_line_in environ.out '^SEALCAT_PASSPHRASE_FD=5$'
	assert_not_in environ.out "$needle"
	run "${PYTHON3:-python3}" "$SEALCAT_SRCDIR/tests/cli/memscan.py" \
	    "$pid" "$needle"
	echo "$output" >&2
	assert_status 0
}

@test "SEALCAT_PASSPHRASE_FD not needed (a plain key): --exec children still get neither it nor the descriptor" {
	make_identities
	start_bg listener /dev/null bash -c 'exec 5<"$1"; shift; exec "$@"' \
	    _ pass env SEALCAT_PASSPHRASE_FD=5 "$SEALCAT" listen -v \
	    -i "$SERVER_ID" --allow "$CLIENT_TOKEN" \
	    -e 'env; if [ -e /proc/$$/fd/5 ]; then echo fd5-open; else echo fd5-closed; fi' \
	    127.0.0.1 0
	LISTENER_PID=$BG_PID
	wait_listening listener
	run connect_io /dev/null child -p "$SERVER_TOKEN"
	assert_status 0
	assert_line_in child '^SEALCAT_PEER='
	assert_line_in child '^fd5-closed$'
	assert_not_in child SEALCAT_PASSPHRASE_FD
}

@test "a wrong passphrase: exit 1 at once with one line, from a file or the terminal" {
	protect_identities
	run setsid -w timeout 10 "$SEALCAT" listen -i "$SERVER_ID" \
	    --passphrase-file wrong --allow-any 127.0.0.1 0
	assert_status 1
	assert_one_line_error "$SERVER_ID: wrong passphrase"
	run pty -e 'Passphrase for' -s 'not it either' \
	    -- "$SEALCAT" connect -i "$CLIENT_ID" -p "$SERVER_TOKEN" 127.0.0.1 9
	assert_status 1
	assert_one_line_error "$CLIENT_ID: wrong passphrase"
}

@test "no terminal and no source: exit 2 at once, saying how, without touching stdin" {
	protect_identities
	# stdin stays open and silent: reading it would hang until the
	# watchdog (124).
	hold_open fifo never
	run setsid -w timeout 10 "$SEALCAT" listen -i "$SERVER_ID" \
	    --allow-any 127.0.0.1 0 <fifo
	assert_status 2
	assert_one_line_error "$SERVER_ID is protected by a passphrase and there is no terminal to ask for it — give it with --passphrase-file FILE, the systemd credential sealcat-passphrase or SEALCAT_PASSPHRASE_FD=N"
	run setsid -w timeout 10 "$SEALCAT" connect -i "$CLIENT_ID" \
	    -p "$SERVER_TOKEN" 127.0.0.1 9 <fifo
	assert_status 2
	assert_one_line_error 'is protected by a passphrase and there is no terminal'
	touch never
}

@test "a damaged protected key: exit 2 naming the damage, before any passphrase is asked for" {
	protect_identities
	cp "$SERVER_ID" good
	# One base64 digit of the sealed secret changed.
	awk 'NR == 5 { c = substr($2, 1, 1); $2 = (c == "A" ? "B" : "A") \
	    substr($2, 2) } { print }' good >k
	chmod 600 k
	run setsid -w timeout 10 "$SEALCAT" listen -i k --allow-any 127.0.0.1 0
	assert_status 2
	assert_one_line_error '^sealcat: k: the file is damaged: the checksum on line 6 does not match'
	head -c 200 good >k
	run setsid -w timeout 10 "$SEALCAT" pubkey -i k
	assert_status 2
	assert_one_line_error 'k: the protected key file ends early'
	{ cat good; echo extra; } >k
	run setsid -w timeout 10 "$SEALCAT" connect -i k -p "$SERVER_TOKEN" \
	    127.0.0.1 9
	assert_status 2
	assert_one_line_error 'k: unexpected text after line 6'
}

@test "passwd adds a passphrase; the key, its token, .pub and the mode stay" {
	local token
	token=$("$SEALCAT" keygen -o k)
	chmod 400 k
	cp k.pub pub.before
	run pty -e 'New passphrase for k \(empty for none\): $' -s fresh \
	    -e 'Repeat the new passphrase: $' -s fresh \
	    -- "$SEALCAT" passwd -i k --kdf-memory 1
	assert_status 0
	assert_one_line_error '^sealcat: k: passphrase added$'
	[ "$(key_version k)" = v2 ]
	[ "$(stat -c %a k)" = 400 ]
	cmp pub.before k.pub
	run "$SEALCAT" pubkey -i k
	[ "$output" = "$token" ]
	unlocks k --passphrase-file fresh
}

@test "passwd changes a passphrase: the new one opens the key, the old one no longer" {
	protect_identities
	local before
	before=$(sed -n 2p "$SERVER_ID")
	run pty -e "Passphrase for $SERVER_ID: \$" -s sesame \
	    -e 'New passphrase' -s fresh -e 'Repeat' -s fresh \
	    -- "$SEALCAT" passwd -i "$SERVER_ID" --kdf-memory 2
	assert_status 0
	assert_one_line_error 'passphrase changed$'
	grep -q '^kdf argon2id v=19 m=2048 t=3 p=1 ' "$SERVER_ID"
	[ "$(sed -n 2p "$SERVER_ID")" != "$before" ]	# a fresh salt
	run "$SEALCAT" pubkey -i "$SERVER_ID"
	[ "$output" = "$SERVER_TOKEN" ]
	unlocks "$SERVER_ID" --passphrase-file fresh
	run setsid -w timeout 10 "$SEALCAT" listen -i "$SERVER_ID" \
	    --passphrase-file pass --allow-any 127.0.0.1 0
	assert_status 1
	assert_one_line_error 'wrong passphrase'
}

@test "passwd removes a passphrase after a yes, and keeps it after a no" {
	protect_identities
	cp "$SERVER_ID" before
	run pty -e 'Passphrase for' -s sesame -e 'New passphrase' -s '' \
	    -e 'Remove the passphrase and store .* unencrypted\? \[y/N\] $' \
	    -s n -- "$SEALCAT" passwd -i "$SERVER_ID"
	assert_status 1
	assert_one_line_error 'the passphrase stays — nothing was changed'
	cmp before "$SERVER_ID"
	run pty -e 'Passphrase for' -s sesame -e 'New passphrase' -s '' \
	    -e '\[y/N\] $' -s y -- "$SEALCAT" passwd -i "$SERVER_ID"
	assert_status 0
	assert_one_line_error 'passphrase removed$'
	[ "$(key_version "$SERVER_ID")" = v1 ]
	[ "$(stat -c %a "$SERVER_ID")" = 600 ]
	unlocks "$SERVER_ID"
}

@test "passwd with the wrong current passphrase changes nothing (exit 1)" {
	protect_identities
	cp "$SERVER_ID" before
	run pty -e 'Passphrase for' -s 'not it' -- "$SEALCAT" passwd \
	    -i "$SERVER_ID"
	assert_status 1
	assert_one_line_error 'wrong passphrase'
	cmp before "$SERVER_ID"
}

@test "passwd from files, without a terminal: --passphrase-file and --new-passphrase-file" {
	protect_identities
	cp "$SERVER_ID" before
	# setsid: no controlling terminal, so nothing can be asked for.
	run setsid -w timeout 30 "$SEALCAT" passwd -i "$SERVER_ID" \
	    --passphrase-file pass --new-passphrase-file fresh --kdf-memory 1
	assert_status 0
	assert_one_line_error "^sealcat: $SERVER_ID: passphrase changed$"
	run "$SEALCAT" pubkey -i "$SERVER_ID"
	[ "$output" = "$SERVER_TOKEN" ]
	unlocks "$SERVER_ID" --passphrase-file fresh
	# The current one from SEALCAT_PASSPHRASE_FD, as for listen.
	run setsid -w timeout 30 env SEALCAT_PASSPHRASE_FD=3 "$SEALCAT" passwd \
	    -i "$SERVER_ID" --new-passphrase-file pass --kdf-memory 1 3<fresh
	assert_status 0
	assert_one_line_error 'passphrase changed$'
	unlocks "$SERVER_ID" --passphrase-file pass
	# A wrong current passphrase changes nothing (exit 1).
	cp "$SERVER_ID" before
	run setsid -w timeout 30 "$SEALCAT" passwd -i "$SERVER_ID" \
	    --passphrase-file wrong --new-passphrase-file fresh
	assert_status 1
	assert_one_line_error 'wrong passphrase'
	cmp before "$SERVER_ID"
	# The new file is checked first, before the key is unlocked: a file
	# others can read, an empty one, a missing one; exit 2, no change.
	chmod 644 fresh
	run setsid -w timeout 30 "$SEALCAT" passwd -i "$SERVER_ID" \
	    --passphrase-file wrong --new-passphrase-file fresh
	assert_status 2
	assert_one_line_error '^sealcat: --new-passphrase-file fresh: permissions 0644 are too open'
	: >empty
	chmod 600 empty
	run setsid -w timeout 30 "$SEALCAT" passwd -i "$SERVER_ID" \
	    --passphrase-file pass --new-passphrase-file empty
	assert_status 2
	assert_one_line_error 'empty'
	run "$SEALCAT" passwd -i "$SERVER_ID" --new-passphrase-file ''
	assert_status 2
	assert_one_line_error '^sealcat: --new-passphrase-file: empty file name'
	cmp before "$SERVER_ID"
}

# passwd_killed INJECT: passwd from ./pass to ./fresh on $SERVER_ID under
# strace, which kills it (SIGKILL) as it enters the system call that INJECT
# names (strace -e inject syntax).
passwd_killed() {
	run pty -e 'Passphrase for' -s sesame -e 'New passphrase' -s fresh \
	    -e 'Repeat' -s fresh -- strace -f -qq -o /dev/null \
	    -e trace="${1%%:*}" -e inject="$1" \
	    "$SEALCAT" passwd -i "$SERVER_ID" --kdf-memory 1
	# strace ends as its tracee did: killed.
	assert_status 137
}

@test "passwd killed during the rewrite leaves the old file or the new one, never neither" {
	command -v strace >/dev/null || {
		echo "strace not found — run ./bootstrap" >&2
		return 1
	}
	strace -f -qq -o /dev/null true ||
	    skip "ptrace is not permitted here, so strace cannot stop passwd"
	protect_identities
	# Before the new file is synced: the old file is in place.
	passwd_killed 'fsync:signal=KILL:when=1'
	unlocks "$SERVER_ID" --passphrase-file pass
	# At the rename itself: still the old one.
	passwd_killed 'rename,renameat,renameat2:signal=KILL'
	unlocks "$SERVER_ID" --passphrase-file pass
	# Renamed, killed before the directory is synced: the new one.
	passwd_killed 'fsync:signal=KILL:when=2'
	unlocks "$SERVER_ID" --passphrase-file fresh
	run "$SEALCAT" pubkey -i "$SERVER_ID"
	[ "$output" = "$SERVER_TOKEN" ]
}
