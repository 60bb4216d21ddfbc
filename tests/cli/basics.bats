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

@test "the command list of --help and the unknown-command error come from one table" {
	run "$SEALCAT" --help
	assert_status 0
	listed=$(printf '%s\n' "$output" |
	    awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' |
	    paste -sd, - | sed 's/,/, /g')
	[ -n "$listed" ]
	run "$SEALCAT" frobnicate
	assert_status 2
	assert_one_line_error "\(commands: $listed\)$"
	# Every listed command dispatches (its --help exits 0).
	for sub in ${listed//,/}; do
		run "$SEALCAT" "$sub" --help
		assert_status 0
		[[ $output == "usage: sealcat $sub "* ]]
	done
}

@test "getopt errors read the same in every subcommand" {
	for sub in keygen pubkey listen connect; do
		run "$SEALCAT" "$sub" --frobnicate=1
		assert_status 2
		assert_one_line_error "^sealcat: unknown option '--frobnicate' — see 'sealcat $sub --help'$"
		run "$SEALCAT" "$sub" -Z
		assert_status 2
		assert_one_line_error "^sealcat: unknown option '-Z' — see 'sealcat $sub --help'$"
	done
	for sub in pubkey listen connect; do
		run "$SEALCAT" "$sub" -i
		assert_status 2
		assert_one_line_error "^sealcat: option '-i' needs an argument — see 'sealcat $sub --help'$"
	done
}
