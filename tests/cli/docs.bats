#!/usr/bin/env bats
# docs.bats - the documentation agrees with what CI runs.

load helpers
load options

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

MAN="$SEALCAT_SRCDIR/man/sealcat.1"

need_mandoc() {
	command -v mandoc >/dev/null || {
		echo "mandoc not found — run ./bootstrap or install mandoc" >&2
		return 1
	}
}

# man_text: the manual as a reader sees it, without overstrike.
man_text() {
	mandoc -Tascii "$MAN" | sed 's/.\x08//g'
}

@test "mandoc -Tlint -Wwarning has nothing to say about the man page" {
	need_mandoc
	run mandoc -Tlint -Wwarning "$MAN"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "every option of every --help is in the man page and all completions" {
	local text bash_c zsh_c fish_c sub opt name missing=""
	need_mandoc
	text=$(man_text)
	bash_c=$(<"$SEALCAT_SRCDIR/completions/sealcat.bash")
	zsh_c=$(<"$SEALCAT_SRCDIR/completions/_sealcat")
	fish_c=$(<"$SEALCAT_SRCDIR/completions/sealcat.fish")
	for sub in "" $(help_commands); do
		opts=$(help_options $sub)
		[ -n "$opts" ]
		for opt in $opts; do
			mentions "$text" "$opt" || missing+=" man:$sub:$opt"
			mentions "$bash_c" "$opt" || missing+=" bash:$sub:$opt"
			mentions "$zsh_c" "$opt" || missing+=" zsh:$sub:$opt"
			# fish spells them "-l name" and "-s x".
			name=${opt#-}
			case $opt in
			--*) mentions "$fish_c" "-l ${name#-}" ||
			    missing+=" fish:$sub:$opt" ;;
			*) mentions "$fish_c" "-s $name" ||
			    missing+=" fish:$sub:$opt" ;;
			esac
		done
	done
	if [ -n "$missing" ]; then
		echo "missing (where:subcommand:option):$missing" >&2
		return 1
	fi
}

@test "the man page SYNOPSIS has one entry per subcommand with its options" {
	local synopsis sub line opt entry found
	need_mandoc
	# The SYNOPSIS as one string per "sealcat ..." entry.
	synopsis=$(man_text | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' |
	    sed '1d;$d' | tr -s ' \t\n' '   ' | sed 's/ sealcat /\nsealcat /g')
	for sub in $(help_commands); do
		line=$(grep "^ *sealcat $sub " <<<"$synopsis")
		[ "$(wc -l <<<"$line")" -eq 1 ] || {
			echo "SYNOPSIS: no single entry for $sub" >&2
			return 1
		}
		# Each entry of the help (say "-C, --comment TEXT") is there in
		# one of its spellings; short flags may be grouped: [-46kqv].
		while read -r entry; do
			case " $entry " in *" --help "*) continue ;; esac
			found=0
			for opt in $entry; do
				if mentions "$line" "$opt" || { [[ $opt != --* ]] &&
				    [[ $line =~ \[-[A-Za-z0-9]*${opt#-}[A-Za-z0-9]*\] ]]; }
				then
					found=1
				fi
			done
			[ "$found" -eq 1 ] || {
				echo "SYNOPSIS of $sub lacks $entry: $line" >&2
				return 1
			}
		done < <(help_entries "$sub")
	done
}

@test "--help texts exit 0, fit 80 columns and align their descriptions" {
	local sub text
	for sub in "" $(help_commands); do
		run "$SEALCAT" $sub --help
		[ "$status" -eq 0 ] || {
			echo "sealcat $sub --help exited $status" >&2
			return 1
		}
		text=$output
		# The same text through "sealcat help SUB".
		if [ -n "$sub" ]; then
			run "$SEALCAT" help "$sub"
			[ "$status" -eq 0 ]
			[ "$output" = "$text" ]
		fi
		run awk -v what="sealcat${sub:+ $sub} --help" '
		function fail(why) {
			printf "%s, line %d: %s\n  %s\n", what, NR, why, $0
			bad = 1
		}
		length($0) > 80 { fail("longer than 80 columns") }
		# A block of indented lines: entries ("  -x, --xx ARG  text"
		# or "  name    text") and continuation lines, whose text
		# must all start in the same column.
		/^$/ { col = 0; pending = 0; next }
		!/^  / { col = 0; pending = 0; next }
		{
			match($0, /^ */)
			indent = RLENGTH
			entry = indent == 2 ||
			    (indent <= 8 && substr($0, indent + 1, 1) == "-")
			if (!entry) {
				c = indent + 1        # continuation line
			} else if (match($0, /^ *[^ ]+( [^ ]+)*  +/)) {
				c = RLENGTH + 1       # entry with its text
			} else {
				pending = 1           # entry alone: text below
				next
			}
			if (col == 0)
				col = c
			else if (c != col)
				fail("text starts in column " c ", not " col)
			pending = 0
		}
		END { if (pending) fail("an entry without text"); exit bad }
		' <<<"$text"
		echo "$output" >&2
		[ "$status" -eq 0 ]
	done
}

@test "the man page documents no option that --help does not have" {
	local known extra="" opt
	known=$(for sub in "" $(help_commands); do help_options $sub; done |
	    sort -u)
	# Options marked up with Fl (examples in literal blocks show other
	# tools' options as plain text); "Fl 46kqv" style groups are split.
	while read -r opt; do
		# "Fl c" is /bin/sh's, in "/bin/sh -c command".
		[ "$opt" = -c ] && continue
		grep -qxF -- "$opt" <<<"$known" || extra+=" $opt"
	done < <(grep -oE '(^|[ .])Fl -?[A-Za-z0-9][-A-Za-z0-9]*' "$MAN" |
	    sed -E 's/^[ .]?Fl //' |
	    sed -E '/^-/{s/^/-/;b};s/./-&\n/g' | sed '/^$/d' | sort -u)
	if [ -n "$extra" ]; then
		echo "in the man page but in no --help:$extra" >&2
		return 1
	fi
}

@test "every whole token in README, the man page and PROTOCOL.md is a key sealcat accepts" {
	local token n=0
	mkdir -p cfg
	while read -r token; do
		n=$((n + 1))
		run env XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/cfg" \
		    "$SEALCAT" peers allow "$token" example
		echo "$token: $output" >&2
		assert_status 0
	done < <(grep -ohE '(x25519:[A-Za-z0-9+/]{43}=|p256:[A-Za-z0-9+/]{87}=)' \
	    "$SEALCAT_SRCDIR/README.md" "$MAN" "$SEALCAT_SRCDIR/PROTOCOL.md" |
	    sort -u)
	[ "$n" -ge 3 ]
}
