# helpers.bash - shared setup for the bats suites: a private config home,
# the binary under test, and assertions that print what they saw.

: "${SEALCAT:?SEALCAT must point at the binary under test (make check sets it)}"
: "${SEALCAT_SRCDIR:?SEALCAT_SRCDIR must point at the source tree}"

common_setup() {
	export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/config"
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	unset SEALCAT_IDENTITY
	cd "$BATS_TEST_TMPDIR" || return 1
}

# assert_status WANT: the last `run` exited with WANT.
assert_status() {
	if [ "$status" -ne "$1" ]; then
		echo "expected exit status $1, got $status; output:" >&2
		echo "$output" >&2
		return 1
	fi
}

# assert_one_line_error PATTERN: the output is exactly one line starting
# with "sealcat: " and matching the extended regex PATTERN.
assert_one_line_error() {
	local n
	n=$(printf '%s\n' "$output" | wc -l)
	if [ "$n" -ne 1 ] || [[ $output != "sealcat: "* ]] ||
	    ! [[ $output =~ $1 ]]; then
		echo "expected one 'sealcat: ' line matching /$1/, got:" >&2
		echo "$output" >&2
		return 1
	fi
}
