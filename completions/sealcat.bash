# bash completion for sealcat(1)                          -*- shell-script -*-
#
# Installed as "sealcat" in bash-completion's completions directory, which
# loads it the first time sealcat is completed.  Needs bash-completion
# (_init_completion, _filedir, _known_hosts_real).  The option lists follow
# `sealcat SUBCOMMAND --help`; tests/cli/docs.bats checks they agree.

_sealcat_commands='keygen pubkey listen connect passwd peers relay'
_sealcat_suites='x25519 p256'

# Per subcommand: options that take an argument, then options that do not.
_sealcat_keygen_args='-o --output --suite -C --comment --passphrase-file
	--kdf-memory'
_sealcat_keygen_flags='-f --force --passphrase -h --help'

_sealcat_pubkey_args='-i --identity'
_sealcat_pubkey_flags='-F --fingerprint -h --help'

_sealcat_passwd_args='-i --identity --kdf-memory --passphrase-file
	--new-passphrase-file'
_sealcat_passwd_flags='-h --help'

_sealcat_listen_args='-a --allow -A --authorized -i --identity --suite
	--passphrase-file -e --exec --forward --proxy-protocol --max-conns --unix-mode -w --timeout --idle --keepalive
	--code-words --code-tries --rekey-interval --via --size'
_sealcat_listen_flags='--allow-any --code --pair -k --keep-open --inetd --recv-only --send-only
	--exit-with-peer --fsync --progress -4 -6 -v --verbose -q --quiet -h --help'

_sealcat_connect_args='-p --peer -i --identity --suite --passphrase-file
	-e --exec --local --max-conns --unix-mode --retry --proxy -w --timeout --idle
	--keepalive --code --rekey-interval --via --size'
_sealcat_connect_flags='--trust-new --pair --recv-only --send-only --exit-with-peer
	--fsync --progress -4 -6 -v --verbose -q --quiet -h --help'

_sealcat_peers_args=''
_sealcat_peers_flags='-q --quiet -h --help'
_sealcat_peers_subcommands='list allow trust forget'

_sealcat_relay_args='--max-pairs --max-waiting --max-per-source --source-rate
	-w --timeout --wait --connect-wait --idle --max-bytes --nameplate-grace
	--shutdown-grace'
_sealcat_relay_flags='-4 -6 -v --verbose -q --quiet -h --help'

# sealcat's configuration directory, as sealcat finds it: an absolute
# $XDG_CONFIG_HOME, else ~/.config.
_sealcat_config_dir()
{
	if [[ $XDG_CONFIG_HOME == /* ]]; then
		printf '%s\n' "$XDG_CONFIG_HOME/sealcat"
	else
		printf '%s\n' "$HOME/.config/sealcat"
	fi
}

# The first fields of known_peers' entries: "HOST:PORT" and relay "NAME".
_sealcat_known_peer_entries()
{
	local file entry rest
	file=$(_sealcat_config_dir)/known_peers

	[[ -r $file ]] || return 0
	while read -r entry rest; do
		[[ $entry == '' || $entry == '#'* ]] && continue
		printf '%s\n' "$entry"
	done <"$file"
}

# Host names from known_peers' "HOST:PORT TOKEN" lines, for connect.
_sealcat_known_peer_hosts()
{
	local entry host

	while read -r entry; do
		[[ $entry == *:* ]] || continue
		host=${entry%:*}
		host=${host#[}
		host=${host%]}
		[[ $host =~ ^[A-Za-z0-9._%:-]+$ ]] && printf '%s\n' "$host"
	done < <(_sealcat_known_peer_entries)
}

# The ports known_peers has for host $1, for connect's PORT.
_sealcat_known_peer_ports()
{
	local entry

	while read -r entry; do
		[[ $entry == *:* ]] || continue
		[[ ${entry%:*} == "$1" || ${entry%:*} == "[$1]" ]] &&
		    [[ ${entry##*:} =~ ^[0-9]+$ ]] &&
		    printf '%s\n' "${entry##*:}"
	done < <(_sealcat_known_peer_entries)
}

# The NAMEs of known_peers' "NAME TOKEN" lines, for connect --via RELAY NAME.
_sealcat_known_peer_names()
{
	local entry

	while read -r entry; do
		[[ $entry == *:* ]] || printf '%s\n' "$entry"
	done < <(_sealcat_known_peer_entries)
}

# The tokens of the .pub files here and in the configuration directory
# (keygen's id_SUITE.pub), for --allow and --peer.
_sealcat_pub_tokens()
{
	local file token rest

	for file in ./*.pub "$(_sealcat_config_dir)"/*.pub; do
		[[ -f $file && -r $file ]] || continue
		read -r token rest <"$file" || [[ -n $token ]] || continue
		[[ $token =~ ^[a-z0-9]+:[A-Za-z0-9+/]+=*$ ]] &&
		    printf '%s\n' "$token"
	done
}

# _sealcat_offer: adds each line of stdin that starts with $cur to
# COMPREPLY, as it is.  Words read from files (.pub, known_peers) never go
# through compgen -W, which would expand $(...) and `...` in them.
_sealcat_offer()
{
	local word

	while IFS= read -r word; do
		[[ -n $word && $word == "$cur"* ]] && COMPREPLY+=("$word")
	done
}

_sealcat()
{
	local cur prev words cword split
	# -n :  a token, HOST:PORT or [v6] host is one word, not three.
	_init_completion -s -n : || return

	if ((cword == 1)); then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '-h --help -V --version' \
			    -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$_sealcat_commands" -- "$cur"))
		fi
		return
	fi

	local cmd=${words[1]}
	case $cmd in
	keygen | pubkey | listen | connect | passwd | peers | relay) ;;
	help)
		((cword == 2)) &&
		    COMPREPLY=($(compgen -W "$_sealcat_commands" -- "$cur"))
		return
		;;
	*) return ;;
	esac

	local args_var=_sealcat_${cmd}_args flags_var=_sealcat_${cmd}_flags
	local args=" "${!args_var//[$'\t\n']/ }" " flags=${!flags_var}

	case $prev in
	-i | --identity | -o | --output | -A | --authorized | \
	    --passphrase-file | --new-passphrase-file)
		_filedir
		return
		;;
	--suite)
		COMPREPLY=($(compgen -W "$_sealcat_suites" -- "$cur"))
		return
		;;
	--proxy-protocol)
		COMPREPLY=($(compgen -W 'v1 v2' -- "$cur"))
		return
		;;
	-a | --allow | -p | --peer)
		COMPREPLY=()
		_sealcat_offer < <(_sealcat_pub_tokens)
		__ltrim_colon_completions "$cur"
		return
		;;
	esac
	# Any other option that takes an argument: nothing sensible to offer.
	[[ $args == *" $prev "* ]] && return
	$split && return

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$args $flags" -- "$cur"))
		return
	fi

	# Operands: peers' first one is its subcommand, then files (a .pub);
	# connect's first one is a host name.
	local i operands=0
	if [[ $cmd == peers ]]; then
		for ((i = 2; i < cword; i++)); do
			[[ ${words[i]} != -* ]] && ((operands++))
		done
		if ((operands == 0)); then
			COMPREPLY=($(compgen -W "$_sealcat_peers_subcommands" \
			    -- "$cur"))
		else
			_filedir
		fi
		return
	fi
	[[ $cmd == connect ]] || return
	local via=false host=
	for ((i = 2; i < cword; i++)); do
		if [[ ${words[i]} != -* ]]; then
			((operands++ == 0)) && host=${words[i]}
		elif [[ ${words[i]} != *=* && $args == *" ${words[i]} "* ]]; then
			[[ ${words[i]} == --via ]] && via=true
			((i++))		# skip the option's argument
		elif [[ ${words[i]} == --via=* ]]; then
			via=true
		fi
	done
	if $via; then
		# connect --via RELAY NAME: the NAMEs known_peers has.
		COMPREPLY=()
		((operands == 0)) && _sealcat_offer < <(_sealcat_known_peer_names)
	elif ((operands == 0)); then
		_known_hosts_real -- "$cur"
		_sealcat_offer < <(_sealcat_known_peer_hosts)
		__ltrim_colon_completions "$cur"
	elif ((operands == 1)); then
		COMPREPLY=()
		_sealcat_offer < <(_sealcat_known_peer_ports "$host")
	fi
} &&
	complete -F _sealcat sealcat
