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

_sealcat_passwd_args='-i --identity --kdf-memory'
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

# Host names from known_peers ("HOST:PORT TOKEN" lines), for connect.
_sealcat_known_peer_hosts()
{
	local file=${XDG_CONFIG_HOME:-$HOME/.config}/sealcat/known_peers
	local hostport rest host

	[[ -r $file ]] || return 0
	while read -r hostport rest; do
		[[ $hostport == '' || $hostport == '#'* ]] && continue
		host=${hostport%:*}
		host=${host#[}
		host=${host%]}
		printf '%s\n' "$host"
	done <"$file"
}

_sealcat()
{
	local cur prev words cword split
	_init_completion -s || return

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
	    --passphrase-file)
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
	for ((i = 2; i < cword; i++)); do
		if [[ ${words[i]} != -* ]]; then
			((operands++))
		elif [[ ${words[i]} != *=* && $args == *" ${words[i]} "* ]]; then
			((i++))		# skip the option's argument
		fi
	done
	if ((operands == 0)); then
		_known_hosts_real -- "$cur"
		COMPREPLY+=($(compgen -W "$(_sealcat_known_peer_hosts)" \
		    -- "$cur"))
	fi
} &&
	complete -F _sealcat sealcat
