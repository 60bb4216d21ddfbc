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
	assert_status 1
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
	assert_status 1
	assert_one_line_error "^sealcat: $CFG/known_peers: owned by uid 65534, .* — run chown root "
	[ ! -s listener.out ]
}
