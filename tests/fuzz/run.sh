#!/usr/bin/env bash
# tests/fuzz/run.sh - builds the libFuzzer targets with clang in their own
# build directory and runs each for a short, bounded time, starting from
# the checked-in seeds.  Prints one TAP line per target and a summary;
# exits non-zero if any target found a crash, a leak, undefined behaviour,
# a hang (-timeout) or ran out of memory (-rss_limit_mb).
#
#   tests/fuzz/run.sh [TARGET...]       (default: every tests/fuzz/corpus/*)
#
# Environment: FUZZ_SECONDS (per target, default 20), FUZZ_BUILD (default
# _build/fuzz).  The source tree itself is left alone (.ci/run configures
# it in place): the files git knows about, committed or not, are copied to
# $FUZZ_BUILD/src and configured there with CC=clang --enable-fuzzers.
# Each target also leaves $FUZZ_BUILD/results/fuzz_TARGET.trs in automake's
# format, so .ci/run counts the fuzz runs with the other test results.
# New inputs a run finds go to $FUZZ_BUILD/corpus/TARGET, crashes to
# $FUZZ_BUILD/artifacts/; the checked-in seeds are only read.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${FUZZ_SECONDS:-20}
build=${FUZZ_BUILD:-$top/_build/fuzz}
case $build in /*) ;; *) build=$top/$build ;; esac

die() {
	echo "fuzz: $*" >&2
	exit 1
}

command -v clang >/dev/null 2>&1 ||
    die "clang not found — install clang (./bootstrap does) to build the fuzzers"

if [ $# -gt 0 ]; then
	targets=("$@")
else
	targets=()
	for d in "$top"/tests/fuzz/corpus/*/; do
		targets+=("$(basename "$d")")
	done
fi
[ ${#targets[@]} -gt 0 ] || die "no seed corpora in tests/fuzz/corpus"

# A clean copy of the sources.  With git: tracked and new files, not what
# .gitignore excludes (build products).  Without: the whole tree, cleaned.
copy_sources() {
	local src=$build/src
	rm -rf "$build"
	mkdir -p "$src" "$build/results" "$build/corpus" "$build/artifacts"
	if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		(cd "$top" && git ls-files -z --cached --others \
		    --exclude-standard) |
		    while IFS= read -r -d '' f; do
			    if [ -f "$top/$f" ]; then printf '%s\0' "$f"; fi
		    done | (cd "$top" && tar --null -T - -cf -) |
		    tar -xf - -C "$src"
	else
		(cd "$top" && tar --exclude=./_build -cf - .) |
		    tar -xf - -C "$src"
		if [ -f "$src/Makefile" ]; then
			make -C "$src" distclean >/dev/null
		fi
	fi
	if [ ! -x "$src/configure" ]; then
		(cd "$src" && ./bootstrap)
	fi
}

build_fuzzers() {
	local programs=()
	for t in "${targets[@]}"; do
		programs+=("tests/fuzz/fuzz_$t")
	done
	(cd "$build/src" &&
	    ./configure CC=clang --enable-fuzzers >"$build/configure.log" 2>&1 ||
	    { tail -20 "$build/configure.log"; exit 1; }
	    make -j2 "${programs[@]}" >"$build/make.log" 2>&1 ||
	    { grep -E 'error|warning' "$build/make.log" | head -40; exit 1; })
}

# The last line of a libFuzzer log that says what went wrong.
failure_reason() {
	grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error:|.*assertion failed|==[0-9]+== ERROR: libFuzzer)' \
	    "$1" | head -3 | tr '\n' ' ' | cut -c1-300
}

# Writes a .trs file as automake's tap-driver would for one result.
record() {
	local name=$1 result=$2
	printf ':test-result: %s\n:global-test-result: %s\n:recheck: %s\n:copy-in-global-log: %s\n' \
	    "$result" "$result" "$([ "$result" = PASS ] && echo no || echo yes)" \
	    "$([ "$result" = PASS ] && echo no || echo yes)" \
	    >"$build/results/fuzz_$name.trs"
}

echo "fuzz: building ${#targets[@]} targets in $build"
copy_sources
if ! build_fuzzers; then
	for t in "${targets[@]}"; do
		record "$t" FAIL
	done
	die "the fuzz build failed — see $build/make.log"
fi

echo "1..${#targets[@]}"
n=0
failed=0
for t in "${targets[@]}"; do
	n=$((n + 1))
	seeds=$top/tests/fuzz/corpus/$t
	work=$build/corpus/$t
	log=$build/results/fuzz_$t.log
	mkdir -p "$work"
	if ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    "$build/src/tests/fuzz/fuzz_$t" \
	    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
	    "$work" "$seeds" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "ok $n - fuzz_$t: ${runs:-?} inputs in ${seconds} s, no crash, leak or undefined behaviour"
		record "$t" PASS
	else
		failed=$((failed + 1))
		echo "not ok $n - fuzz_$t: $(failure_reason "$log")"
		echo "# log: $log"
		ls "$build/artifacts/$t-"* 2>/dev/null | sed 's/^/# input: /' || true
		record "$t" FAIL
	fi
done
echo "# fuzz: $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
