#!/usr/bin/env bats
# completions.bats - each completion file, loaded in its own shell, offers
# the subcommands, each subcommand's options (the same set as its --help),
# suite names after --suite, files after path options and hosts after
# connect.

load helpers
load options

COMPLETIONS="$SEALCAT_SRCDIR/completions"
BASH_COMPLETION_LIB=/usr/share/bash-completion/bash_completion

setup() {
	common_setup
	for tool in zsh fish; do
		command -v "$tool" >/dev/null || {
			echo "$tool not found — run ./bootstrap (it installs" \
			    "zsh, fish and bash-completion for these tests)" >&2
			return 1
		}
	done
	[ -r "$BASH_COMPLETION_LIB" ] || {
		echo "bash-completion not found — run ./bootstrap" >&2
		return 1
	}
	# A directory with known files for the path options.
	mkdir -p "$BATS_TEST_TMPDIR/files"
	touch "$BATS_TEST_TMPDIR/files/alice.key" "$BATS_TEST_TMPDIR/files/bob.pub"
	# One known peer, to tell our host completion from the system's.
	mkdir -p "$XDG_CONFIG_HOME/sealcat"
	printf '%s\n' '# servers' \
	    'sealtest.example:9000 x25519:j/ptTt+nNTIBVBFXJaHIHxfNUd3BAdT500uKTAwmmWk=' \
	    '[fd00::5]:22 x25519:PPOXB69oxG20AnCrNKmJLIeeP8lpazT/fG5DX4/6/3U=' \
	    'sealtest.example:9443 x25519:j/ptTt+nNTIBVBFXJaHIHxfNUd3BAdT500uKTAwmmWk=' \
	    'office-nas x25519:TmFzTmFzTmFzTmFzTmFzTmFzTmFzTmFzTmFzTmFzTmE=' \
	    >"$XDG_CONFIG_HOME/sealcat/known_peers"
}

# complete_bash LINE: the words bash-completion offers for the last word of
# LINE (a trailing space means a new, empty word), sorted, one per line.
complete_bash() {
	bash --norc --noprofile -c '
		source "$1" || exit 1
		source "$2" || exit 1
		line=$3
		read -ra COMP_WORDS <<<"$line"
		[[ $line == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$line
		COMP_POINT=${#line}
		_sealcat sealcat "${COMP_WORDS[COMP_CWORD]}" \
		    "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' complete_bash "$BASH_COMPLETION_LIB" "$COMPLETIONS/sealcat.bash" \
	    "$1" | sed '/^$/d' | sort -u
}

complete_zsh() {
	timeout 30 zsh -f "$SEALCAT_SRCDIR/tests/cli/zcomplete.zsh" \
	    "$COMPLETIONS" "$1"
}

complete_fish() {
	fish --no-config -c 'source $argv[1]; or exit 1; complete -C $argv[2]' \
	    "$COMPLETIONS/sealcat.fish" "$1" | cut -f1 | sort -u
}

# offered SHELL LINE: sets $offered to what SHELL offers, space-separated.
offered() {
	local words
	words=$("complete_$1" "$2") || {
		echo "$1: completing '$2' failed" >&2
		return 1
	}
	offered=$(printf '%s\n' "$words" | sed '/^$/d' | sort -u | tr '\n' ' ')
	offered=${offered% }
}

# expect_offer SHELL LINE WANT: SHELL offers exactly WANT (space-separated,
# any order) for LINE.
expect_offer() {
	local want
	offered "$1" "$2" || return 1
	want=$(printf '%s\n' $3 | sort -u | tr '\n' ' ')
	want=${want% }
	if [ "$offered" != "$want" ]; then
		echo "$1, '$2':" >&2
		echo "  offered: $offered" >&2
		echo "  wanted:  $want" >&2
		return 1
	fi
}

# expect_includes SHELL LINE WORD / expect_excludes SHELL LINE WORD
expect_includes() {
	offered "$1" "$2" || return 1
	[[ " $offered " == *" $3 "* ]] || {
		echo "$1, '$2': '$3' not offered; offered: $offered" >&2
		return 1
	}
}
expect_excludes() {
	offered "$1" "$2" || return 1
	[[ " $offered " != *" $3 "* ]] || {
		echo "$1, '$2': '$3' offered but should not be" >&2
		return 1
	}
}

@test "bash, zsh and fish offer the subcommands of sealcat --help" {
	local commands
	commands=$(help_commands)
	# Not vacuous: the parse found the commands.
	[ "$(wc -w <<<"$commands")" -ge 4 ]
	[[ " $(echo $commands) " == *" listen "* ]]
	for sh in bash zsh fish; do
		expect_offer $sh "sealcat " "$commands"
		expect_offer $sh "sealcat li" "listen"
		expect_offer $sh "sealcat -" "$(help_options)"
	done
}

@test "each shell offers exactly the options of each subcommand's --help" {
	local sub opts
	for sub in $(help_commands); do
		opts=$(help_options $sub | tr '\n' ' ')
		# A subcommand without options would make this test vacuous.
		[ -n "$opts" ]
		[[ " $opts " == *" --help "* ]]
		for sh in bash zsh fish; do
			expect_offer $sh "sealcat $sub -" "$opts"
		done
	done
}

@test "listen and connect options are not mixed up" {
	for sh in bash zsh fish; do
		expect_excludes $sh "sealcat connect --" --allow
		expect_excludes $sh "sealcat connect --" --forward
		expect_excludes $sh "sealcat listen --" --trust-new
		expect_excludes $sh "sealcat keygen --" --identity
	done
}

@test "--suite completes from a prefix and offers the suite names" {
	for sh in bash zsh fish; do
		for sub in keygen listen connect; do
			expect_offer $sh "sealcat $sub --su" "--suite"
			expect_offer $sh "sealcat $sub --suite " "x25519 p256"
		done
		expect_offer $sh "sealcat listen -k --suite p" "p256"
	done
}

@test "path options complete file names" {
	cd "$BATS_TEST_TMPDIR/files"
	for sh in bash zsh fish; do
		expect_offer $sh "sealcat pubkey -i " "alice.key bob.pub"
		expect_offer $sh "sealcat listen -k -i " "alice.key bob.pub"
		expect_offer $sh "sealcat connect --identity " "alice.key bob.pub"
		expect_offer $sh "sealcat keygen -o " "alice.key bob.pub"
		expect_offer $sh "sealcat keygen --output a" "alice.key"
		expect_offer $sh "sealcat listen -A " "alice.key bob.pub"
		expect_offer $sh "sealcat listen --authorized b" "bob.pub"
	done
}

@test "connect completes its host from known_peers, and only the host" {
	for sh in bash zsh fish; do
		expect_includes $sh "sealcat connect " sealtest.example
		expect_includes $sh "sealcat connect " fd00::5
		expect_offer $sh "sealcat connect sealt" sealtest.example
		# Options with an argument are skipped when counting operands.
		expect_offer $sh "sealcat connect -w 5 -p TOKEN sealt" \
		    sealtest.example
		expect_excludes $sh "sealcat connect sealtest.example " \
		    sealtest.example
		expect_excludes $sh "sealcat listen " sealtest.example
	done
}

@test "connect --via RELAY completes the NAMEs of known_peers, not its hosts" {
	for sh in bash zsh fish; do
		expect_offer $sh "sealcat connect --via relay.example:4000 " office-nas
		expect_offer $sh "sealcat connect -v --via relay.example:4000 off" office-nas
		expect_excludes $sh "sealcat connect " office-nas
		expect_excludes $sh "sealcat connect --via relay.example:4000 office-nas " office-nas
	done
}

@test "connect completes the PORT known_peers has for the host" {
	for sh in bash zsh fish; do
		expect_offer $sh "sealcat connect sealtest.example " "9000 9443"
		expect_offer $sh "sealcat connect -w 5 sealtest.example 94" 9443
		expect_offer $sh "sealcat connect fd00::5 " 22
	done
}

@test "--allow and --peer offer the tokens of the .pub files here and of keygen's" {
	mkdir -p "$BATS_TEST_TMPDIR/keys"
	cd "$BATS_TEST_TMPDIR/keys"
	"$SEALCAT" keygen -o alice -C alice@laptop >/dev/null
	"$SEALCAT" keygen --suite p256 -o bob >/dev/null
	"$SEALCAT" keygen >/dev/null	# ~/.config/sealcat/id_x25519(.pub)
	printf 'not a key\n' >notes.pub
	alice=$(cut -d' ' -f1 alice.pub)
	bob=$(cut -d' ' -f1 bob.pub)
	mine=$(cut -d' ' -f1 "$XDG_CONFIG_HOME/sealcat/id_x25519.pub")
	for sh in bash zsh fish; do
		expect_offer $sh "sealcat listen --allow " "$alice $bob $mine"
		expect_offer $sh "sealcat listen -k -a " "$alice $bob $mine"
		expect_offer $sh "sealcat connect --peer " "$alice $bob $mine"
		expect_offer $sh "sealcat connect -p p2" "$bob"
	done
}

@test "words read from .pub files and known_peers are offered, never run" {
	# bash's compgen -W expands $(...) in its word list: a .pub file or a
	# known_peers line from someone else must not run anything.
	mkdir -p "$BATS_TEST_TMPDIR/evil"
	cd "$BATS_TEST_TMPDIR/evil"
	local pwned=$BATS_TEST_TMPDIR/PWNED
	printf 'x25519:$(touch${IFS}%s) evil\n' "$pwned" >a.pub
	printf 'x25519:`touch${IFS}%s` evil\n' "$pwned" >b.pub
	{
		printf '$(touch${IFS}%s) x25519:TmFzTmFzTmFzTmFzTmFzTmFzTmFzTmFzTmFzTmFzTmE=\n' "$pwned"
		printf 'sealtest.example:$(touch${IFS}%s) x25519:TmFzTmFzTmFzTmFzTmFzTmFzTmFzTmFzTmFzTmFzTmE=\n' "$pwned"
		printf '$(touch${IFS}%s):9000 x25519:TmFzTmFzTmFzTmFzTmFzTmFzTmFzTmFzTmFzTmFzTmE=\n' "$pwned"
	} >>"$XDG_CONFIG_HOME/sealcat/known_peers"
	for sh in bash zsh fish; do
		offered $sh "sealcat connect --peer "
		offered $sh "sealcat listen --allow x"
		offered $sh "sealcat connect --via relay.example:4000 "
		offered $sh "sealcat connect "
		offered $sh "sealcat connect sealtest.example "
		[ ! -e "$pwned" ] || {
			echo "$sh ran a command from a completion source" >&2
			return 1
		}
	done
	# The good entries are still offered.
	expect_includes bash "sealcat connect --via relay.example:4000 " office-nas
	expect_offer bash "sealcat connect sealtest.example " "9000 9443"
}

@test "option arguments that are not files or suites offer nothing" {
	cd "$BATS_TEST_TMPDIR/files"
	for sh in bash zsh fish; do
		expect_excludes $sh "sealcat listen -a " alice.key
		expect_excludes $sh "sealcat connect -p " alice.key
		expect_excludes $sh "sealcat listen -w " alice.key
	done
}
