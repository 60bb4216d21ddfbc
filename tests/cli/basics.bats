#!/usr/bin/env bats
# basics.bats - dispatch, --help, --version and usage errors.

load helpers

setup() {
	common_setup
}

@test "--version prints the version from configure" {
	run "$SEALCAT" --version
	assert_status 0
	[[ $output =~ ^sealcat\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "--help lists every subcommand and exits 0" {
	run "$SEALCAT" --help
	assert_status 0
	for c in keygen pubkey listen connect; do
		[[ $output == *"  $c "* ]]
	done
}

@test "each subcommand has --help on stdout, exit 0" {
	for c in keygen pubkey listen connect; do
		run "$SEALCAT" "$c" --help
		assert_status 0
		[[ $output == "usage: sealcat $c"* ]]
	done
}

@test "no arguments prints usage on stderr and exits 2" {
	run --separate-stderr "$SEALCAT"
	assert_status 2
	[ -z "$output" ]
	[[ $stderr == usage:* ]]
}

@test "an unknown subcommand is a usage error (exit 2, one line)" {
	run "$SEALCAT" frobnicate
	assert_status 2
	assert_one_line_error "unknown command 'frobnicate' — see 'sealcat --help'"
}

@test "an unknown top-level flag is a usage error (exit 2, one line)" {
	run "$SEALCAT" --frobnicate
	assert_status 2
	assert_one_line_error "unknown option '--frobnicate'"
}
