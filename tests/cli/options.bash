# options.bash - what the --help texts say, for the tests that hold the man
# page and the completions to them (docs.bats, completions.bats).

# help_commands: the subcommands listed by `sealcat --help`, one per line.
help_commands() {
	"$SEALCAT" --help |
	    sed -n '/^commands:/,/^$/s/^  \([a-z][a-z0-9-]*\)  .*/\1/p'
}

# help_options [SUB]: every short and long option in `sealcat [SUB] --help`,
# one per line, taken from the option column only (not the descriptions).
help_options() {
	"$SEALCAT" ${1+"$1"} --help |
	    sed -nE 's/^ {2,8}(-[^ ].*)$/\1/p' |
	    sed 's/  .*//' |
	    grep -oE '(^|[ ,])--?[A-Za-z0-9][-A-Za-z0-9]*' |
	    sed 's/^[ ,]//' | sort -u
}

# mentions TEXT OPTION: TEXT has OPTION as a whole word ("--allow" does not
# count as a mention inside "--allow-any").
mentions() {
	grep -qE -- "(^|[^-A-Za-z0-9])$2([^-A-Za-z0-9]|\$)" <<<"$1"
}

# help_entries SUB: one line per option entry of `sealcat SUB --help`, with
# the entry's spellings of the option ("-C --comment", "-4 -6").
help_entries() {
	"$SEALCAT" "$1" --help |
	    sed -nE 's/^ {2,8}(-[^ ].*)$/\1/p' |
	    sed 's/  .*//' |
	    while IFS= read -r entry; do
		grep -oE '(^|[ ,])--?[A-Za-z0-9][-A-Za-z0-9]*' <<<"$entry" |
		    sed 's/^[ ,]//' | tr '\n' ' '
		echo
	    done
}
