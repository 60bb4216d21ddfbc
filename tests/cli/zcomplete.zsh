# zcomplete.zsh - what zsh's completion system offers for a command line.
#
#   zsh -f zcomplete.zsh FPATH_DIR 'sealcat listen --su'
#
# Starts an interactive zsh on a pseudo-terminal (zpty) whose only start-up
# file puts FPATH_DIR first on $fpath and loads compinit, types the line and
# a Tab, and prints every word the completion functions add, one per line,
# sorted.  compadd is wrapped so each real call also prints its matches
# after a marker; calls that only compute matches into an array (-O, -A,
# -D) are left alone.  Run it under timeout(1): a zsh that never answers
# blocks here.
zmodload zsh/zpty || exit 1
fpath_dir=$1 line=$2

rcdir=$(mktemp -d) || exit 1
trap 'rm -rf -- $rcdir' EXIT
cat >$rcdir/.zshrc <<EOF
PROMPT= RPROMPT=
fpath=(${(q)fpath_dir} \$fpath)
autoload -Uz compinit && compinit -u -D
compadd() {
	if [[ " \$* " == *" -"[OAD]* ]]; then
		builtin compadd "\$@"
		return
	fi
	local -a hits
	builtin compadd -O hits "\$@"
	(( \$#hits )) && print -rl -- "<hit>"\${^hits}
	builtin compadd "\$@"
}
bindkey '^I' complete-word
LISTMAX=100000
# Keys typed before the line editor has the terminal would be read in
# cooked mode (a Tab as a Tab): announce when it is ready.
zle-line-init() { print -n '<ready>' }
zle -N zle-line-init
EOF

# -d: no global start-up files; ZDOTDIR: ours is the only .zshrc.
zpty shell "ZDOTDIR=${(q)rcdir} zsh -d -i" || exit 1

# wait_for MARKER: read the output, into $out, up to MARKER.  (Reading
# line by line would wait for a newline that may never come.)
wait_for() {
	local chunk
	zpty -r shell chunk "*$1*" || return 1
	out+=$chunk
}

out=
wait_for '<ready>' || exit 1
out=
zpty -w -n shell "$line"$'\t'
# Ctrl-U drops the completed line; the marker is typed in pieces so its
# echo does not match.
zpty -w shell $'\C-u'"print '<'done'>'"
wait_for '<done>'
zpty -d shell
[[ -n $ZCOMPLETE_RAW ]] && print -r -- "$out" >>$ZCOMPLETE_RAW

print -r -- "$out" | tr '\r' '\n' | grep -ao '<hit>[^[:cntrl:]]*' |
    sed 's/^<hit>//' | sort -u
