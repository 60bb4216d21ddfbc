#!/usr/bin/env bats
# pipe_mitm.bats - a man in the middle (tests/cli/mitm.py) flips one bit
# deep in the stream or cuts the connection: both ends exit 1, and what
# each wrote out is an exact prefix of what was sent, never a changed byte.
# A message 1 altered in transit, or forged by a client, is answered with
# the listener's line before it closes (PROTOCOL.md §1.2): the client sees
# a failed handshake, not "not a sealcat peer".

load helpers

SIZE=$((8 * 1024 * 1024))
DEEP=$((4 * 1024 * 1024 + 12345))

setup() {
	common_setup
	make_identities
	random_file to_server "$SIZE"
	random_file to_client "$SIZE"
}

teardown() {
	pipe_teardown
}

# through_mitm: the client sends to_server and receives client.out via the
# man in the middle; sets status and output (the client's stderr).
through_mitm() {
	PORT=$MITM_PORT run connect_io to_server client.out \
	    --peer "$SERVER_TOKEN"
}

@test "a bit flipped deep in the client's stream: the server stops at that frame" {
	# The server's input stays open after to_client (until teardown):
	# had its stream ended first, its CLOSE would be on its way and no
	# ERROR frame could follow it (PROTOCOL.md §3.2), so the client's
	# message would depend on which stream ended first.
	mkfifo server_in
	{
		cat to_client
		sleep "$WATCHDOG"
	} >server_in 3>&- &
	BG_PIDS+=("$!")
	LISTEN_IN=server_in start_listener --allow "$CLIENT_TOKEN"
	start_mitm flip "$DEEP" --dir c2s
	through_mitm
	assert_status 1
	assert_one_line_error "^sealcat: rejected by peer: received a bad frame$"
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_line_in listener.err "^sealcat: received a bad frame from 127\.0\.0\.1:[0-9]+: frame failed authentication — the stream was altered or corrupted in transit; nothing of that frame was written$"
	# Every frame before the flipped one, nothing of it or after it.
	assert_prefix listener.out to_server
	[ "$(wc -c <listener.out)" -gt $((DEEP - 70000)) ]
	assert_prefix_or_same client.out to_client
}

@test "a bit flipped deep in the server's stream: the client stops at that frame" {
	LISTEN_IN=to_client start_listener --allow "$CLIENT_TOKEN"
	start_mitm flip "$DEEP" --dir s2c
	through_mitm
	assert_status 1
	assert_one_line_error "^sealcat: received a bad frame from 127\.0\.0\.1:$MITM_PORT: frame failed authentication"
	assert_prefix client.out to_client
	[ "$(wc -c <client.out)" -gt $((DEEP - 70000)) ]
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_prefix_or_same listener.out to_server
}

@test "the connection cut in the client's stream: the server reports truncation" {
	LISTEN_IN=to_client start_listener --allow "$CLIENT_TOKEN"
	start_mitm cut "$DEEP" --dir c2s
	through_mitm
	assert_status 1
	assert_one_line_error "^sealcat: (connection truncated|connection to 127\.0\.0\.1:$MITM_PORT lost while sending)"
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_line_in listener.err "^sealcat: connection truncated: 127\.0\.0\.1:[0-9]+ (closed|reset) the connection before the end of the stream"
	assert_prefix listener.out to_server
	assert_prefix_or_same client.out to_client
}

@test "the connection cut in the server's stream: the client reports truncation" {
	LISTEN_IN=to_client start_listener --allow "$CLIENT_TOKEN"
	start_mitm cut "$DEEP" --dir s2c
	through_mitm
	assert_status 1
	assert_one_line_error "^sealcat: connection truncated: 127\.0\.0\.1:$MITM_PORT (closed|reset) the connection before the end of the stream — what was received is incomplete$"
	assert_prefix client.out to_client
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_prefix_or_same listener.out to_server
}

@test "the man in the middle sees no plaintext and changes nothing when it only relays" {
	# 1 MiB each way keeps the scan of the whole capture quick.
	random_file to_server 1048576
	random_file to_client 1048576
	LISTEN_IN=to_client start_listener --allow "$CLIENT_TOKEN"
	start_mitm record wire
	through_mitm
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	wait_bg "$MITM_PID"
	assert_status 0
	assert_same_file listener.out to_server
	assert_same_file client.out to_client
	# Everything that crossed, both ways, is the two lines and
	# ciphertext: no run of 16 bytes of either stream, at any offset.
	[ "$(wc -c <wire.c2s)" -gt 1048576 ]
	[ "$(wc -c <wire.s2c)" -gt 1048576 ]
	run "${PYTHON3:-python3}" "$SEALCAT_SRCDIR/tests/cli/find_plaintext.py" \
	    --plain to_server --plain to_client wire.c2s wire.s2c
	assert_status 0
	[ -z "$output" ]
	[ "$(head -n1 wire.c2s)" = "SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b" ]
	[ "$(head -n1 wire.s2c)" = "SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b" ]
}

# with_run N OUT: wire with plain[1234, 1234 + N) written over it at
# offset 77777, into OUT.  The wire bytes on either side are made to
# differ from plain's there, so the run is exactly N bytes long (random
# neighbours that happened to match, 1 time in 128, made it longer).
with_run() {
	"${PYTHON3:-python3}" -c '
import sys
n, out = int(sys.argv[1]), sys.argv[2]
plain = open("plain", "rb").read()
wire = bytearray(open("wire", "rb").read())
wire[77777:77777 + n] = plain[1234:1234 + n]
wire[77776] = plain[1233] ^ 0xff
wire[77777 + n] = plain[1234 + n] ^ 0xff
open(out, "wb").write(wire)
' "$1" "$2"
}

@test "find_plaintext.py finds a 16-byte run of plaintext at any offset of a capture" {
	random_file plain 100000
	random_file wire 200000
	# 16 bytes of plain from an odd offset, at an odd offset of the wire.
	with_run 16 caught
	run "${PYTHON3:-python3}" "$SEALCAT_SRCDIR/tests/cli/find_plaintext.py" \
	    --plain plain wire caught
	assert_status 1
	[ "$output" = "16 bytes of plain from offset 1234 appear in caught at offset 77777" ]
	# 15 bytes are not a run of 16.
	with_run 15 near
	run "${PYTHON3:-python3}" "$SEALCAT_SRCDIR/tests/cli/find_plaintext.py" \
	    --plain plain wire near
	assert_status 0
}

@test "a cut stream never looks complete to --exec: the command is stopped" {
	start_listener --allow "$CLIENT_TOKEN" --exec 'cat >got && echo complete >marker'
	start_mitm cut "$DEEP" --dir c2s
	through_mitm
	assert_status 1
	wait_bg "$LISTENER_PID"
	assert_status 1
	assert_line_in listener.err "^sealcat: connection truncated: "
	assert_prefix got to_server
	[ ! -e marker ]
}

@test "an intact stream does reach the end of the --exec command" {
	start_listener --allow "$CLIENT_TOKEN" --exec 'cat >got && echo complete >marker'
	start_mitm pass
	through_mitm
	assert_status 0
	wait_bg "$LISTENER_PID"
	assert_status 0
	assert_same_file got to_server
	[ "$(cat marker)" = complete ]
}

# bad_message_1 LINE HEX: connects to $PORT as a client would, sends LINE
# (with its LF) and a message 1 made of the bytes HEX in the same write,
# then reads until the listener closes; writes what arrived to
# fake_client.got and how it ended ("closed" or "reset") to
# fake_client.end.
bad_message_1() {
	"${PYTHON3:-python3}" - "$PORT" "$1" "$2" <<'PY'
import socket, sys
port, line, body = int(sys.argv[1]), sys.argv[2], bytes.fromhex(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.sendall(line.encode() + b"\n" + len(body).to_bytes(2, "big") + body)
got, end = b"", "closed"
while True:
    try:
        data = s.recv(4096)
    except ConnectionResetError:
        end = "reset"
        break
    if not data:
        break
    got += data
open("fake_client.got", "wb").write(got)
open("fake_client.end", "w").write(end + "\n")
PY
}

@test "message 1 altered in transit (p256, off the curve): the listener's line still comes back, the client reports a failed handshake" {
	make_identities p256
	start_listener --allow "$CLIENT_TOKEN"
	# 38 bytes of line, 2 of length, then 0x04 and X: byte 50 is in X.
	start_mitm flip 50 --dir c2s
	through_mitm
	assert_status 1
	assert_one_line_error "^sealcat: handshake with 127\.0\.0\.1:$MITM_PORT failed: the listener closed the connection$"
	wait_for_line listener.err "^sealcat: handshake with 127\.0\.0\.1:[0-9]+ failed: message 1 did not verify"
	[ ! -s listener.out ]
	[ ! -s client.out ]
}

@test "a client's message 1 with a low-order key (x25519, all zeros): the listener sends its line, then closes cleanly" {
	start_listener --allow "$CLIENT_TOKEN"
	local line='SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b'
	run bad_message_1 "$line" "$(printf '%064d' 0)"
	assert_status 0
	[ "$(cat fake_client.end)" = closed ]
	[ "$(cat fake_client.got)" = "$line" ]
	[ "$(wc -c <fake_client.got)" -eq $((${#line} + 1)) ]
	wait_for_line listener.err "^sealcat: handshake with 127\.0\.0\.1:[0-9]+ failed: cannot build message 2"
	[ ! -s listener.out ]
}

@test "a client's message 1 that is too short: the listener sends its line, then closes cleanly" {
	start_listener --allow "$CLIENT_TOKEN"
	local line='SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b'
	run bad_message_1 "$line" 0102030405
	assert_status 0
	[ "$(cat fake_client.end)" = closed ]
	[ "$(cat fake_client.got)" = "$line" ]
	[ "$(wc -c <fake_client.got)" -eq $((${#line} + 1)) ]
	wait_for_line listener.err "^sealcat: handshake with 127\.0\.0\.1:[0-9]+ failed: message 1 did not verify"
	[ ! -s listener.out ]
}
