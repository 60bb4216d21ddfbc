#!/usr/bin/env bats
# docs.bats - the documentation agrees with what CI runs.

load helpers

@test "README quick start and .ci/run run the same two command lines" {
	local readme ci
	readme=$(awk '/^## Quick start/{q=1} q && /^```sh/{c=1; next}
	    c && /^```/{exit} c' "$SEALCAT_SRCDIR/README.md")
	ci=$(sed -n "s/^QUICKSTART_[12]='\(.*\)'$/\1/p" "$SEALCAT_SRCDIR/.ci/run")
	echo "README: $readme" >&2
	echo ".ci/run: $ci" >&2
	[ "$(printf '%s\n' "$readme" | wc -l)" -eq 2 ]
	[ "$readme" = "$ci" ]
}
