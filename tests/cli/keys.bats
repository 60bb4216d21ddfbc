#!/usr/bin/env bats
# keys.bats - keygen and pubkey: default locations, modes, overwrite
# refusal, symlinks, SEALCAT_IDENTITY, both suites, and every kind of bad
# key file or option.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	CFG="$XDG_CONFIG_HOME/sealcat"
}

mode_of() {
	stat -c %a "$1"
}

# refute_in FILE TEXT: FILE does not contain TEXT (a bare `! grep` in the
# middle of a test would be ignored by bats).
refute_in() {
	if grep -qF -- "$2" "$1"; then
		echo "$1 should not contain '$2'; it holds:" >&2
		cat "$1" >&2
		return 1
	fi
}

# is_token SUITE TEXT: TEXT is a token of SUITE with the right length.
is_token() {
	case $1 in
	x25519) [[ $2 =~ ^x25519:[A-Za-z0-9+/]{43}=$ ]] ;;
	p256) [[ $2 =~ ^p256:[A-Za-z0-9+/]{87}=$ ]] ;;
	*) return 1 ;;
	esac
}

@test "keygen: default location under XDG_CONFIG_HOME, dir 0700, key 0600" {
	run --separate-stderr "$SEALCAT" keygen
	assert_status 0
	[ -z "$stderr" ]
	is_token x25519 "$output"
	[ "$(mode_of "$CFG")" = 700 ]
	[ "$(mode_of "$CFG/id_x25519")" = 600 ]
	[ "$(cat "$CFG/id_x25519.pub")" = "$output" ]
	[ "$(sed -n 1p "$CFG/id_x25519")" = "sealcat private key v1 x25519" ]
	[ "$(sed -n 3p "$CFG/id_x25519")" = "public $output" ]
	[ "$(wc -l < "$CFG/id_x25519")" -eq 3 ]
}

@test "keygen: HOME/.config when XDG_CONFIG_HOME is unset" {
	unset XDG_CONFIG_HOME
	run --separate-stderr "$SEALCAT" keygen
	assert_status 0
	[ "$(mode_of "$HOME/.config/sealcat")" = 700 ]
	[ "$(cat "$HOME/.config/sealcat/id_x25519.pub")" = "$output" ]
}

@test "keygen: a relative XDG_CONFIG_HOME is ignored (XDG spec)" {
	export XDG_CONFIG_HOME=relative
	run --separate-stderr "$SEALCAT" keygen
	assert_status 0
	[ -f "$HOME/.config/sealcat/id_x25519" ]
	[ ! -e relative ]
}

@test "keygen -o FILE and --output FILE; pubkey prints the same token" {
	run --separate-stderr "$SEALCAT" keygen -o k1
	assert_status 0
	tok1=$output
	[ "$(mode_of k1)" = 600 ]
	[ "$(cat k1.pub)" = "$tok1" ]
	[ ! -e "$CFG" ]
	run --separate-stderr "$SEALCAT" keygen --output=k2
	assert_status 0
	[ "$output" != "$tok1" ]
	run --separate-stderr "$SEALCAT" pubkey -i k1
	assert_status 0
	[ "$output" = "$tok1" ]
	run --separate-stderr "$SEALCAT" pubkey --identity k1
	[ "$output" = "$tok1" ]
}

@test "keygen -C / --comment goes into the .pub file only" {
	run --separate-stderr "$SEALCAT" keygen -o k -C "alice@laptop 2024"
	assert_status 0
	[ "$(cat k.pub)" = "$output alice@laptop 2024" ]
	refute_in k alice
	run --separate-stderr "$SEALCAT" keygen -o k2 --comment=bob
	[ "$(cat k2.pub)" = "$output bob" ]
}

@test "keygen: a comment with a newline is refused, nothing written" {
	run "$SEALCAT" keygen -o k -C "$(printf 'a\nb')"
	assert_status 2
	assert_one_line_error "--comment: must be one line"
	[ ! -e k ]
	[ ! -e k.pub ]
}

@test "keygen refuses to overwrite the key file without --force" {
	"$SEALCAT" keygen -o k >/dev/null
	before=$(cat k)
	run "$SEALCAT" keygen -o k
	assert_status 2
	assert_one_line_error "^sealcat: k: already exists — use --force"
	[ "$(cat k)" = "$before" ]
}

@test "keygen refuses when only the .pub exists, leaving nothing behind" {
	echo "not mine" > k.pub
	run "$SEALCAT" keygen -o k
	assert_status 2
	assert_one_line_error "^sealcat: k.pub: already exists"
	[ ! -e k ]
	[ "$(cat k.pub)" = "not mine" ]
}

@test "keygen refuses to overwrite the default key without --force" {
	"$SEALCAT" keygen >/dev/null
	run "$SEALCAT" keygen
	assert_status 2
	assert_one_line_error "id_x25519: already exists — use --force"
}

@test "keygen --force / -f replaces both files with a new key" {
	old=$("$SEALCAT" keygen -o k)
	run --separate-stderr "$SEALCAT" keygen -o k --force
	assert_status 0
	[ "$output" != "$old" ]
	[ "$(cat k.pub)" = "$output" ]
	[ "$(mode_of k)" = 600 ]
	run --separate-stderr "$SEALCAT" keygen -f -o k
	assert_status 0
	[ "$("$SEALCAT" pubkey -i k)" = "$output" ]
}

# only_files NAME...: the current directory holds exactly these entries
# (no temporary file left behind).
only_files() {
	local want got
	want=$(printf '%s\n' "$@" | sort)
	got=$(ls -A | sort)
	if [ "$got" != "$want" ]; then
		echo "expected exactly: $*; the directory holds:" $got >&2
		return 1
	fi
}

# old_pair_intact: k and k.pub are still the pair saved in k.orig and
# k.pub.orig, and k still loads as the same key.
old_pair_intact() {
	assert_same_file k k.orig
	assert_same_file k.pub k.pub.orig
	run --separate-stderr "$SEALCAT" pubkey -i k
	assert_status 0
	[ "$output" = "$(cat k.pub.orig)" ]
}

# make_old_pair: a key pair k and k.pub in a fresh directory d (the
# current directory from now on), with copies k.orig and k.pub.orig.
make_old_pair() {
	mkdir d
	cd d
	"$SEALCAT" keygen -o k >/dev/null
	cp -p k k.orig
	cp -p k.pub k.pub.orig
}

@test "keygen --force that cannot write the new key leaves the old pair" {
	make_old_pair
	# A file size limit of 0: the first write fails with EFBIG (SIGXFSZ
	# ignored), as on a full disk.
	run bash -c 'trap "" XFSZ; ulimit -f 0; exec "$SEALCAT" keygen -f -o k'
	assert_status 2
	assert_one_line_error "^sealcat: k: cannot write: File too large — check the disk$"
	old_pair_intact
	only_files k k.pub k.orig k.pub.orig
}

@test "keygen --force with a directory at the .pub path leaves the old key" {
	make_old_pair
	mv k.pub k.pub.orig
	mkdir k.pub
	run "$SEALCAT" keygen -f -o k
	assert_status 2
	assert_one_line_error "^sealcat: k.pub: is a directory — remove it or choose another name$"
	assert_same_file k k.orig
	[ -d k.pub ]
	run --separate-stderr "$SEALCAT" pubkey -i k
	assert_status 0
	[ "$output" = "$(cat k.pub.orig)" ]
	only_files k k.pub k.orig k.pub.orig
}

teardown() {
	# An immutable file would outlive the test directory.
	[ ! -e "$BATS_TEST_TMPDIR/d/k" ] || chattr -i "$BATS_TEST_TMPDIR/d/k" \
	    2>/dev/null || true
}

@test "keygen --force that cannot replace the key puts the old .pub back" {
	make_old_pair
	# An immutable key file: renaming over it fails (EPERM) after the
	# new .pub is already in place.
	chattr +i k 2>/dev/null ||
	    skip "chattr +i needs root and a file system with attributes"
	run "$SEALCAT" keygen -f -o k
	chattr -i k
	assert_status 2
	assert_one_line_error "^sealcat: k: cannot replace: Operation not permitted"
	old_pair_intact
	only_files k k.pub k.orig k.pub.orig
}

@test "keygen --force as root keeps the owner and group of the old files" {
	[ "$(id -u)" -eq 0 ] || skip "only root can give files away"
	make_old_pair
	chown 65534:65534 k k.pub
	run --separate-stderr "$SEALCAT" keygen -f -o k
	assert_status 0
	[ "$(stat -c %u:%g k)" = 65534:65534 ]
	[ "$(stat -c %u:%g k.pub)" = 65534:65534 ]
	[ "$(mode_of k)" = 600 ]
	[ "$(cat k.pub)" = "$output" ]
	run cmp -s k k.orig
	assert_status 1
	only_files k k.pub k.orig k.pub.orig
	# A new key (no old file) is the creator's.
	run --separate-stderr "$SEALCAT" keygen -o fresh
	assert_status 0
	[ "$(stat -c %u k)" = 65534 ]
	[ "$(stat -c %u fresh)" = 0 ]
}

@test "keygen --force that may not give the new key the old owner changes nothing" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to set up files of two users"
	command -v setpriv >/dev/null || skip "setpriv is not installed"
	make_old_pair
	chmod 777 .
	# nobody may replace root's files in a directory it can write, but
	# cannot make the new ones root's: refused before anything changes.
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$SEALCAT" keygen -f -o k
	[ "$status" -ne 126 ] || skip "nobody cannot run $SEALCAT from here"
	assert_status 2
	assert_one_line_error "^sealcat: k: cannot give the new file the owner of the old one \(uid 0, gid 0\): Operation not permitted"
	old_pair_intact
	only_files k k.pub k.orig k.pub.orig
}

@test "keygen --force with a lax old file still creates a 0600 file" {
	"$SEALCAT" keygen -o k >/dev/null
	chmod 666 k
	run --separate-stderr "$SEALCAT" keygen -f -o k
	assert_status 0
	[ "$(mode_of k)" = 600 ]
}

@test "keygen never writes through a symlink at the target" {
	echo precious > victim
	ln -s victim k
	run "$SEALCAT" keygen -o k
	assert_status 2
	assert_one_line_error "k: already exists"
	[ "$(cat victim)" = precious ]
	ln -s victim2 dangling
	run "$SEALCAT" keygen -o dangling
	assert_status 2
	[ ! -e victim2 ]
	# With --force the link itself is replaced; its target is untouched.
	run --separate-stderr "$SEALCAT" keygen -o k --force
	assert_status 0
	[ ! -L k ]
	[ -f k ]
	[ "$(cat victim)" = precious ]
}

@test "keygen into a missing directory fails with one line" {
	run "$SEALCAT" keygen -o no/such/dir/k
	assert_status 2
	assert_one_line_error "no/such/dir/k: cannot create: No such file"
}

@test "SEALCAT_IDENTITY is the default for keygen and pubkey" {
	export SEALCAT_IDENTITY="$BATS_TEST_TMPDIR/mykey"
	run --separate-stderr "$SEALCAT" keygen
	assert_status 0
	tok=$output
	[ -f mykey ]
	[ "$(cat mykey.pub)" = "$tok" ]
	[ ! -e "$CFG/id_x25519" ]
	run --separate-stderr "$SEALCAT" pubkey
	assert_status 0
	[ "$output" = "$tok" ]
}

@test "both suites: keygen --suite, default file name, pubkey, load" {
	for s in x25519 p256; do
		run --separate-stderr "$SEALCAT" keygen --suite "$s"
		assert_status 0
		is_token "$s" "$output"
		[ "$(mode_of "$CFG/id_$s")" = 600 ]
		[ "$(sed -n 1p "$CFG/id_$s")" = "sealcat private key v1 $s" ]
		[ "$(cat "$CFG/id_$s.pub")" = "$output" ]
		tok=$output
		run --separate-stderr "$SEALCAT" pubkey -i "$CFG/id_$s"
		assert_status 0
		[ "$output" = "$tok" ]
	done
}

@test "pubkey default: id_x25519, else id_p256, else a clear error" {
	run "$SEALCAT" pubkey
	assert_status 2
	assert_one_line_error "no identity key in .*sealcat keygen"
	p=$("$SEALCAT" keygen --suite p256)
	[ ! -e "$CFG/id_x25519" ]
	run --separate-stderr "$SEALCAT" pubkey
	assert_status 0
	[ "$output" = "$p" ]
	x=$("$SEALCAT" keygen)
	run --separate-stderr "$SEALCAT" pubkey
	assert_status 0
	[ "$output" = "$x" ]
}

@test "keygen twice gives different keys" {
	a=$("$SEALCAT" keygen -o a)
	b=$("$SEALCAT" keygen -o b)
	[ "$a" != "$b" ]
	run cmp -s a b
	assert_status 1
}

@test "lax key file modes are refused with the chmod fix, exit 2" {
	"$SEALCAT" keygen -o k >/dev/null
	for m in 640 604 660 644 610 601 777; do
		chmod "$m" k
		run "$SEALCAT" pubkey -i k
		assert_status 2
		assert_one_line_error "^sealcat: k: permissions 0$m are too open .* — run chmod 600 k$"
	done
	chmod 400 k
	run --separate-stderr "$SEALCAT" pubkey -i k
	assert_status 0
}

@test "garbage, truncated, binary, empty and huge key files: one line, exit 2" {
	"$SEALCAT" keygen -o good >/dev/null
	check() {	# FILE PATTERN
		chmod 600 "$1"
		run "$SEALCAT" pubkey -i "$1"
		assert_status 2
		assert_one_line_error "^sealcat: $1: .*($2).* — "
	}
	: > empty;                    check empty "the key file is empty"
	head -n 1 good > trunc1;      check trunc1 "the key file is truncated \(1 of 3 lines\)"
	head -n 2 good > trunc2;      check trunc2 "the key file is truncated \(2 of 3 lines\)"
	head -c 60 good > cut;        check cut "the key file is truncated \(2 of 3 lines\)"
	head -c 100 good > cut3;      check cut3 "line 3 does not hold a valid public key token"
	sed '2s/^..//' good > short2; check short2 "line 2 is not a x25519 secret key"
	head -c 2048 /dev/urandom > bin; check bin "too large|binary data"
	head -c 100 /dev/zero > zeros; check zeros "binary data"
	printf 'hello\n' > text;      check text "not a sealcat private key file"
	head -c 100000 /dev/zero | tr '\0' a > huge; check huge "too large"
	cp good.pub pub;              check pub "this is a public key \(.pub\)"
	{ cat good; echo extra; } > extra; check extra "unexpected text after line 3"
	sed 's/$/\r/' good > crlf;    check crlf "binary data or control characters"
	sed 's/v1/v9/' good > v9;     check v9 "unsupported key file version"
	sed '1s/x25519/rsa/' good > rsa; check rsa "unknown key suite 'rsa' on line 1"
	"$SEALCAT" keygen -o other >/dev/null
	{ head -n 2 good; tail -n 1 other; } > mixed
	check mixed "the public key on line 3 does not match the secret"
}

@test "p256 key files: invalid scalars, mixed suites, bad public tokens" {
	"$SEALCAT" keygen --suite p256 -o p >/dev/null
	"$SEALCAT" keygen -o x >/dev/null
	check() {	# FILE PATTERN
		chmod 600 "$1"
		run "$SEALCAT" pubkey -i "$1"
		assert_status 2
		assert_one_line_error "^sealcat: $1: .*($2).* — "
	}
	zero=$(head -c 32 /dev/zero | base64)
	order=$(printf '\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xbc\xe6\xfa\xad\xa7\x17\x9e\x84\xf3\xb9\xca\xc2\xfc\x63\x25\x51' | base64)
	sed "2s|.*|$zero|" p > zero;   check zero "line 2 is not a valid p256 private key"
	sed "2s|.*|$order|" p > order; check order "line 2 is not a valid p256 private key"
	sed '1s/p256/x25519/' p > hx;  check hx "does not match the secret"
	{ head -n 2 p; tail -n 1 x; } > mixed
	check mixed "does not match the secret"
	# The public line's token is checked like any token.
	pubtok=$(sed -n '3s/^public //p' p)
	sed "3s|.*|public ${pubtok}A|" p > long;  check long "line 3 does not hold a valid public key token"
	sed "3s|.*|public ${pubtok%?}|" p > short; check short "line 3 does not hold a valid public key token"
	sed "3s|.*|public ed25519:${pubtok#p256:}|" p > pfx; check pfx "line 3 does not hold a valid public key token"
	sed "3s|.*|public ${pubtok#p256:}|" p > nopfx; check nopfx "line 3 does not hold a valid public key token"
	# Off the curve: flip the last bit of y.
	hex=$(printf '%s' "${pubtok#p256:}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
	[ ${#hex} -eq 130 ]
	hex=${hex:0:128}$(printf '%02x' $((0x${hex:128:2} ^ 1)))
	bad=$(printf "$(printf '%s' "$hex" | sed 's/../\\x&/g')" | base64 -w0)
	[ ${#bad} -eq 88 ]
	sed "3s|.*|public p256:$bad|" p > curve; check curve "line 3 does not hold a valid public key token"
	run --separate-stderr "$SEALCAT" pubkey -i p
	assert_status 0
	[ "$output" = "$pubtok" ]
}

@test "a token that is a second name for a key is refused, saying why" {
	t=$("$SEALCAT" keygen -o k)
	# The same x25519 key with the top bit of u set: X25519 ignores it.
	hex=$(printf '%s' "${t#x25519:}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
	hex=${hex:0:62}$(printf '%02x' $((0x${hex:62:2} | 0x80)))
	alias=x25519:$(printf "$(printf '%s' "$hex" | sed 's/../\\x&/g')" | base64 -w0)
	[ "$alias" != "$t" ]
	run "$SEALCAT" connect -i k --peer "$alias" 127.0.0.1 1
	assert_status 2
	assert_one_line_error "^sealcat: --peer: the x25519 key is not canonical: the top bit is set, which X25519 ignores, so the token is a second name for another key — copy the whole token"
	run "$SEALCAT" listen -i k --allow "$alias" 127.0.0.1 0
	assert_status 2
	assert_one_line_error "^sealcat: --allow: the x25519 key is not canonical"
}

@test "key files that are not files: missing, directory, FIFO, symlink" {
	run "$SEALCAT" pubkey -i missing
	assert_status 2
	assert_one_line_error "^sealcat: missing: no such key file — create it with 'sealcat keygen'"
	mkdir dir
	run "$SEALCAT" pubkey -i dir
	assert_status 2
	assert_one_line_error "dir: not a regular file"
	mkfifo fifo
	run timeout 5 "$SEALCAT" pubkey -i fifo
	assert_status 2
	assert_one_line_error "fifo: not a regular file"
	"$SEALCAT" keygen -o k >/dev/null
	ln -s k link
	run "$SEALCAT" pubkey -i link
	assert_status 2
	assert_one_line_error "link: is a symbolic link"
}

@test "unknown --suite value is a usage error" {
	run "$SEALCAT" keygen --suite rsa
	assert_status 2
	assert_one_line_error "^sealcat: --suite: unknown suite 'rsa' — use one of: x25519, p256$"
	[ ! -e "$CFG" ]
}

@test "unknown flags, missing arguments and stray arguments exit 2" {
	run "$SEALCAT" keygen --bogus
	assert_status 2
	assert_one_line_error "unknown option '--bogus' — see 'sealcat keygen --help'"
	run "$SEALCAT" keygen -x
	assert_status 2
	assert_one_line_error "unknown option '-x'"
	run "$SEALCAT" keygen -o
	assert_status 2
	assert_one_line_error "option '-o' needs an argument"
	run "$SEALCAT" keygen --suite
	assert_status 2
	assert_one_line_error "option '--suite' needs an argument"
	run "$SEALCAT" keygen extra
	assert_status 2
	assert_one_line_error "unexpected argument 'extra'"
	run "$SEALCAT" pubkey --force
	assert_status 2
	assert_one_line_error "unknown option '--force' — see 'sealcat pubkey --help'"
	run "$SEALCAT" pubkey -i
	assert_status 2
	assert_one_line_error "option '-i' needs an argument"
	run "$SEALCAT" pubkey k
	assert_status 2
	assert_one_line_error "unexpected argument 'k'"
	run "$SEALCAT" keygen -o ''
	assert_status 2
	assert_one_line_error "empty file name"
	[ ! -e "$CFG" ]
}

@test "keygen and pubkey --help go to stdout, exit 0, write nothing" {
	run --separate-stderr "$SEALCAT" keygen --help
	assert_status 0
	[[ $output == "usage: sealcat keygen"* ]]
	[ ! -e "$CFG" ]
	run --separate-stderr "$SEALCAT" pubkey -h
	assert_status 0
	[[ $output == "usage: sealcat pubkey"* ]]
}

@test "keygen refuses a closed stdout before writing a key" {
	run bash -c '"$SEALCAT" keygen -o k >&-'
	assert_status 2
	assert_one_line_error "^sealcat: standard output is closed — "
	[ ! -e k ]
}
