#!/usr/bin/env bats
# trust.bats - the trust files from the command line: the rule for owners,
# modes and symbolic links (authorized_peers and known_peers, read and
# written), and authorized_peers read again for every connection.

load helpers

setup() {
	common_setup
	make_identities
	CFG=$XDG_CONFIG_HOME/sealcat
	mkdir -p "$CFG"
	chmod 700 "$XDG_CONFIG_HOME" "$CFG"
	printf 'client secret payload' >client_data
}

teardown() {
	pipe_teardown
}

# A listener refusing an -A file: exit 2 before it listens, one line.
@test "listen -A: a file owned by another user is refused, naming chown" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to make a file of another user"
	echo "$CLIENT_TOKEN" >peers
	chown 65534:65534 peers
	run timeout 10 "$SEALCAT" listen -i "$SERVER_ID" -A peers 127.0.0.1 0
	assert_status 2
	assert_one_line_error "^sealcat: peers: owned by uid 65534, who could make sealcat trust any key — run chown root peers"
}

@test "listen: authorized_peers in a group-writable directory is refused" {
	echo "$CLIENT_TOKEN" >"$CFG/authorized_peers"
	chmod 775 "$CFG"
	run timeout 10 "$SEALCAT" listen -i "$SERVER_ID" 127.0.0.1 0
	assert_status 2
	assert_one_line_error "^sealcat: $CFG/authorized_peers: directory $CFG is writable by others, .* — run chmod go-w $CFG$"
}

@test "listen -A: a symlink to a file in a group-writable directory is refused" {
	mkdir shared
	chmod 775 shared
	echo "$CLIENT_TOKEN" >shared/peers
	ln -s shared/peers peers
	run timeout 10 "$SEALCAT" listen -i "$SERVER_ID" -A peers 127.0.0.1 0
	assert_status 2
	assert_one_line_error "^sealcat: peers: directory $BATS_TEST_TMPDIR/shared is writable by others"
}

@test "a symlinked known_peers is read, and --trust-new writes its target" {
	mkdir -m 700 dotfiles
	: >dotfiles/known_peers
	chmod 600 dotfiles/known_peers
	ln -s "$BATS_TEST_TMPDIR/dotfiles/known_peers" "$CFG/known_peers"
	start_listener --allow "$CLIENT_TOKEN" -k
	run connect_io client_data /dev/null --trust-new
	assert_status 0
	[ -L "$CFG/known_peers" ]
	[ "$(cat dotfiles/known_peers)" = "127.0.0.1:$PORT $SERVER_TOKEN" ]
	# Now known through the link, without --trust-new.
	run connect_io client_data /dev/null
	assert_status 0
}

@test "connect: a known_peers symlink into a group-writable directory is refused" {
	mkdir shared
	chmod 775 shared
	: >shared/known_peers
	chmod 600 shared/known_peers
	ln -s "$BATS_TEST_TMPDIR/shared/known_peers" "$CFG/known_peers"
	LISTEN_IN=/dev/null start_listener --allow "$CLIENT_TOKEN" -k
	run connect_io client_data client.out --trust-new
	assert_status 2
	assert_one_line_error "^sealcat: $CFG/known_peers: directory $BATS_TEST_TMPDIR/shared is writable by others, .* — run chmod go-w $BATS_TEST_TMPDIR/shared$"
	[ ! -s shared/known_peers ]
	[ ! -s client.out ]
}

@test "connect: a known_peers owned by another user is refused" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to make a file of another user"
	start_listener --allow "$CLIENT_TOKEN" -k
	echo "127.0.0.1:$PORT $SERVER_TOKEN" >"$CFG/known_peers"
	chown 65534:65534 "$CFG/known_peers"
	run connect_io client_data client.out
	assert_status 2
	assert_one_line_error "^sealcat: $CFG/known_peers: owned by uid 65534, .* — run chown root "
	[ ! -s listener.out ]
}

# assert_revocation_without_restart ARGS...: with listen -k ARGS and the
# client in authorized_peers, the client is served; with its line removed
# it is refused at its next connection; with the line back, served again;
# the listener runs throughout.
assert_revocation_without_restart() {
	local out=$1
	shift
	echo "$CLIENT_TOKEN client" >"$CFG/authorized_peers"
	start_listener -k "$@"
	printf 'one,' >one
	run connect_io one /dev/null --peer "$SERVER_TOKEN"
	assert_status 0
	# Revoked: another client stays, this one's line goes.
	echo "$OTHER_TOKEN other" >"$CFG/authorized_peers"
	printf 'revoked' >revoked
	run connect_io revoked client.out --peer "$SERVER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: rejected by peer: not authorized$"
	wait_for_line listener.err "^sealcat: client key ${CLIENT_TOKEN//+/\\+} \\(fingerprint [a-z2-7-]+\\) is not authorized"
	kill -0 "$LISTENER_PID"
	# Allowed again.
	echo "$CLIENT_TOKEN client" >>"$CFG/authorized_peers"
	printf 'two' >two
	run connect_io two /dev/null --peer "$SERVER_TOKEN"
	assert_status 0
	kill -0 "$LISTENER_PID"
	wait_for_content "$out" 'one,two'
	if grep -q revoked "$out"; then
		echo "the revoked client's data reached the output" >&2
		return 1
	fi
}

@test "listen -k: authorized_peers is read for every connection (serial)" {
	OTHER_TOKEN=$("$SEALCAT" keygen -o other)
	assert_revocation_without_restart listener.out
}

@test "listen -k --exec: authorized_peers is read for every connection" {
	OTHER_TOKEN=$("$SEALCAT" keygen -o other)
	assert_revocation_without_restart exec.out --exec "cat >>exec.out"
}

@test "listen -k: a trust file gone bad while running refuses, logs, and keeps listening" {
	echo "$CLIENT_TOKEN" >peers
	start_listener -k -A peers
	run connect_io client_data /dev/null --peer "$SERVER_TOKEN"
	assert_status 0
	echo "not-a-token" >>peers
	run connect_io client_data client.out --peer "$SERVER_TOKEN"
	assert_status 1
	assert_one_line_error "^sealcat: rejected by peer: not authorized$"
	wait_for_line listener.err "^sealcat: peers:2: not a public key token"
	wait_for_line listener.err "^sealcat: client key ${CLIENT_TOKEN//+/\\+} refused: cannot read the keys in peers"
	kill -0 "$LISTENER_PID"
	# Fixed: served again.  Then group-writable: refused again.
	echo "$CLIENT_TOKEN" >peers
	run connect_io client_data /dev/null --peer "$SERVER_TOKEN"
	assert_status 0
	chmod g+w peers
	run connect_io client_data client.out --peer "$SERVER_TOKEN"
	assert_status 1
	wait_for_line listener.err "^sealcat: peers: writable by others"
	rm peers
	run connect_io client_data client.out --peer "$SERVER_TOKEN"
	assert_status 1
	wait_for_line listener.err "^sealcat: peers: cannot open: No such file"
	kill -0 "$LISTENER_PID"
	[ ! -s client.out ]
}

@test "listen -k --allow: command-line tokens stay when authorized_peers changes" {
	local other_id=$BATS_TEST_TMPDIR/other
	OTHER_TOKEN=$("$SEALCAT" keygen -o "$other_id")
	echo "$OTHER_TOKEN" >"$CFG/authorized_peers"
	start_listener -k --allow "$CLIENT_TOKEN"
	CLIENT_ID=$other_id run connect_io client_data /dev/null --peer "$SERVER_TOKEN"
	assert_status 0
	: >"$CFG/authorized_peers"
	CLIENT_ID=$other_id run connect_io client_data /dev/null --peer "$SERVER_TOKEN"
	assert_status 1
	run connect_io client_data /dev/null --peer "$SERVER_TOKEN"
	assert_status 0
}
