#!/usr/bin/env bats
# wordlist.bats - the code-mode word list: src/pake/wordlist.c is exactly what
# src/pake/gen_wordlist.sh makes of the committed list, and the list's authors
# and licence are credited where the issue asks (README and man page).

load helpers

@test "src/pake/wordlist.c is what gen_wordlist.sh makes of the EFF list" {
	run sh "$SEALCAT_SRCDIR/src/pake/gen_wordlist.sh" \
	    "$SEALCAT_SRCDIR/src/pake/eff_short_wordlist_2_0.txt"
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$SEALCAT_SRCDIR/src/pake/wordlist.c")" ]
}

@test "gen_wordlist.sh refuses a list that is not 1296 dice lines" {
	printf '1111\taardvark\n' >"$BATS_TEST_TMPDIR/short.txt"
	run sh "$SEALCAT_SRCDIR/src/pake/gen_wordlist.sh" "$BATS_TEST_TMPDIR/short.txt"
	[ "$status" -ne 0 ]
	[[ "$output" == *"1 lines, not 1296"* ]]
	printf '1111\tAardvark\n' >"$BATS_TEST_TMPDIR/upper.txt"
	run sh "$SEALCAT_SRCDIR/src/pake/gen_wordlist.sh" "$BATS_TEST_TMPDIR/upper.txt"
	[ "$status" -ne 0 ]
	[[ "$output" == *"line 1 is not"* ]]
}

@test "README and the man page credit the EFF word list and its licence" {
	local f
	for f in README.md man/sealcat.1; do
		run grep -c -e "Electronic Frontier Foundation" \
		    "$SEALCAT_SRCDIR/$f"
		echo "$f: $output" >&2
		[ "$status" -eq 0 ]
		run grep -c -e "CC BY 3.0 US" "$SEALCAT_SRCDIR/$f"
		echo "$f: $output" >&2
		[ "$status" -eq 0 ]
	done
}
