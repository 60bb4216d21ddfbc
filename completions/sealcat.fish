# fish completion for sealcat(1).  Install in a directory on
# $fish_complete_path (make install uses $datadir/fish/vendor_completions.d).
# The option lists follow `sealcat SUBCOMMAND --help`; tests/cli/docs.bats
# checks they agree.

set -l commands keygen pubkey listen connect passwd peers relay

complete -c sealcat -f
complete -c sealcat -n "not __fish_seen_subcommand_from $commands" \
    -a keygen -d 'create an identity key file and print its public token'
complete -c sealcat -n "not __fish_seen_subcommand_from $commands" \
    -a pubkey -d 'print the public token of an identity key file'
complete -c sealcat -n "not __fish_seen_subcommand_from $commands" \
    -a listen -d 'accept connections and relay them'
complete -c sealcat -n "not __fish_seen_subcommand_from $commands" \
    -a connect -d 'connect to a listener and relay stdio'
complete -c sealcat -n "not __fish_seen_subcommand_from $commands" \
    -a passwd -d 'add, change or remove the passphrase of a key file'
complete -c sealcat -n "not __fish_seen_subcommand_from $commands" \
    -a peers -d 'list and edit authorized_peers and known_peers'
complete -c sealcat -n "not __fish_seen_subcommand_from $commands" \
    -a relay -d 'pair listeners and connectors that cannot reach each other'
complete -c sealcat -n "not __fish_seen_subcommand_from $commands" \
    -s h -l help -d 'show help'
complete -c sealcat -n "not __fish_seen_subcommand_from $commands" \
    -s V -l version -d 'show the version'

# Every subcommand has --help.
complete -c sealcat -n "__fish_seen_subcommand_from $commands" \
    -s h -l help -d 'show help'

# keygen
set -l c '__fish_seen_subcommand_from keygen'
complete -c sealcat -n $c -s o -l output -r -F -d 'key file'
complete -c sealcat -n $c -l suite -x -a 'x25519 p256' -d 'suite'
complete -c sealcat -n $c -s f -l force -d 'overwrite existing files'
complete -c sealcat -n $c -s C -l comment -x -d 'comment for the .pub file'
complete -c sealcat -n $c -l passphrase \
    -d 'protect the key with a passphrase asked on the terminal'
complete -c sealcat -n $c -l passphrase-file -r -F \
    -d 'protect the key with the passphrase in FILE'
complete -c sealcat -n $c -l kdf-memory -x \
    -d 'Argon2id memory for the passphrase, MiB (256)'

# pubkey
set -l c '__fish_seen_subcommand_from pubkey'
complete -c sealcat -n $c -s i -l identity -r -F -d 'identity key file'
complete -c sealcat -n $c -s F -l fingerprint \
    -d "print the key's fingerprint instead"

# passwd
set -l c '__fish_seen_subcommand_from passwd'
complete -c sealcat -n $c -s i -l identity -r -F -d 'identity key file'
complete -c sealcat -n $c -l kdf-memory -x \
    -d 'Argon2id memory for the new passphrase, MiB (256)'
complete -c sealcat -n $c -l passphrase-file -r -F \
    -d 'the current passphrase is in FILE'
complete -c sealcat -n $c -l new-passphrase-file -r -F \
    -d 'the new passphrase is in FILE'

# peers
set -l c '__fish_seen_subcommand_from peers'
complete -c sealcat -n "$c; and not __fish_seen_subcommand_from list allow trust forget" \
    -a 'list allow trust forget' -d 'peers subcommand'
complete -c sealcat -n "$c; and __fish_seen_subcommand_from allow trust" -F
complete -c sealcat -n $c -s q -l quiet -d 'report errors only'

# Options listen and connect share.
set -l c '__fish_seen_subcommand_from listen connect'
complete -c sealcat -n $c -s i -l identity -r -F -d 'identity key file'
complete -c sealcat -n $c -l passphrase-file -r -F \
    -d "the identity's passphrase"
complete -c sealcat -n $c -l suite -x -a 'x25519 p256' \
    -d 'suite (must match the identity)'
complete -c sealcat -n $c -s e -l exec -x -a '(__fish_complete_command)' \
    -d 'run /bin/sh -c CMD on the stream'
complete -c sealcat -n $c -l recv-only -d 'do not read stdin'
complete -c sealcat -n $c -l send-only -d 'discard what arrives'
complete -c sealcat -n $c -l exit-with-peer \
    -d "stop reading stdin once the peer's stream ended"
complete -c sealcat -n $c -l fsync \
    -d 'sync a file on stdout to disk before confirming'
complete -c sealcat -n $c -s w -l timeout -x -d 'handshake timeout (10)'
complete -c sealcat -n $c -l idle -x -d 'give up after SECS without traffic'
complete -c sealcat -n $c -l keepalive -x -d 'send a keepalive every SECS'
complete -c sealcat -n $c -l rekey-interval -x \
    -d 'fresh keys every SECS (3600; 0: by volume only)'
complete -c sealcat -n $c -l progress \
    -d 'show a status line on stderr: bytes, rate, time'
complete -c sealcat -n $c -l size -x \
    -d 'with --progress: the size of the transfer (K, M, G, T)'
complete -c sealcat -n $c -s 4 -d 'IPv4 only'
complete -c sealcat -n $c -s 6 -d 'IPv6 only'
complete -c sealcat -n $c -s v -l verbose -d 'report each step on stderr'
complete -c sealcat -n $c -s q -l quiet -d 'report errors only'

# listen
set -l c '__fish_seen_subcommand_from listen'
complete -c sealcat -n $c -s a -l allow -x -a '(__sealcat_tokens)' \
    -d 'accept this client key'
complete -c sealcat -n $c -s A -l authorized -r -F \
    -d 'accept the keys in FILE'
complete -c sealcat -n $c -l allow-any -d 'accept any client key'
complete -c sealcat -n $c -l code \
    -d 'authenticate with a one-time code instead of keys'
complete -c sealcat -n $c -l code-words -x \
    -d 'words in a generated code (2)'
complete -c sealcat -n $c -l code-tries -x \
    -d 'failed tries before the code is void (3)'
complete -c sealcat -n $c -l pair \
    -d "with --code: add the client's key to authorized_peers"
complete -c sealcat -n $c -s k -l keep-open -d 'keep accepting connections'
complete -c sealcat -n $c -l forward -x \
    -d 'relay each connection to HOST:PORT or unix:PATH'
complete -c sealcat -n $c -l proxy-protocol -x -a 'v1 v2' \
    -d "first tell the --forward target the client's address"
complete -c sealcat -n $c -l max-conns -x \
    -d 'concurrent connections with -e/--forward (64)'
complete -c sealcat -n $c -l unix-mode -x \
    -d 'permissions of the unix:PATH socket (0600)'
complete -c sealcat -n $c -l inetd \
    -d 'serve the one connection on stdin/stdout'
complete -c sealcat -n $c -l via -x \
    -d 'wait at a sealcat relay instead of on a port'

# connect
set -l c '__fish_seen_subcommand_from connect'
complete -c sealcat -n $c -s p -l peer -x -a '(__sealcat_tokens)' \
    -d "the server's key"
complete -c sealcat -n $c -l trust-new \
    -d 'trust and record an unknown server key'
complete -c sealcat -n $c -l code -x \
    -d "authenticate with the listener's one-time code"
complete -c sealcat -n $c -l pair \
    -d 'with --code: record the server in known_peers'
complete -c sealcat -n $c -l local -x \
    -d 'listen there and give each client its own session'
complete -c sealcat -n $c -l max-conns -x -d 'concurrent --local clients (64)'
complete -c sealcat -n $c -l unix-mode -x \
    -d 'permissions of the --local unix:PATH socket (0600)'
complete -c sealcat -n $c -l retry -x \
    -d 'keep trying for SECS while the listener is not up'
complete -c sealcat -n $c -l via -x \
    -d 'reach the listener through a sealcat relay'
complete -c sealcat -n $c -l proxy -x \
    -d 'connect through a socks5:// or http:// proxy'
complete -c sealcat -n "$c; and __sealcat_connect_wants 0; and not __sealcat_connect_via" \
    -a '(__sealcat_hosts)'
complete -c sealcat -n "$c; and __sealcat_connect_wants 0; and __sealcat_connect_via" \
    -a '(__sealcat_known_names)' -d 'relay name'
complete -c sealcat -n "$c; and __sealcat_connect_wants 1; and not __sealcat_connect_via" \
    -a '(__sealcat_known_ports)' -d 'port in known_peers'

# relay
set -l c '__fish_seen_subcommand_from relay'
complete -c sealcat -n $c -l max-pairs -x -d 'pairs at once (1000)'
complete -c sealcat -n $c -l max-waiting -x -d 'clients not paired yet (1000)'
complete -c sealcat -n $c -l max-per-source -x \
    -d 'connections per source address (64)'
complete -c sealcat -n $c -l source-rate -x \
    -d 'new connections per second per source (20)'
complete -c sealcat -n $c -s w -l timeout -x \
    -d 'time a client has to send its request (10)'
complete -c sealcat -n $c -l wait -x \
    -d 'how long a listener waits for a partner (300)'
complete -c sealcat -n $c -l connect-wait -x \
    -d 'how long a connector waits for a listener (10)'
complete -c sealcat -n $c -l idle -x -d 'reset a pair silent this long (3600)'
complete -c sealcat -n $c -l max-bytes -x -d 'reset a pair after N bytes'
complete -c sealcat -n $c -l nameplate-grace -x \
    -d 'keep a nameplate after its listener (60)'
complete -c sealcat -n $c -l shutdown-grace -x \
    -d 'after SIGTERM, let pairs finish (30)'
complete -c sealcat -n $c -s 4 -d 'IPv4 only'
complete -c sealcat -n $c -s 6 -d 'IPv6 only'
complete -c sealcat -n $c -s v -l verbose -d 'report every client on stderr'
complete -c sealcat -n $c -s q -l quiet -d 'report errors only'

# connect's operands so far, one a line (options and their arguments
# skipped).
function __sealcat_connect_operands
    set -l args -p --peer -i --identity --suite --passphrase-file -e --exec \
        --local --max-conns --unix-mode --retry --via --proxy --code \
        -w --timeout --idle --keepalive --rekey-interval --size
    set -l seen_connect 0
    set -l skip 0
    for t in (commandline -opc)[2..-1]
        if test $seen_connect -eq 0
            test "$t" = connect; and set seen_connect 1
            continue
        end
        if test $skip -eq 1
            set skip 0
        else if contains -- $t $args
            set skip 1
        else if not string match -q -- '-*' $t
            printf '%s\n' $t
        end
    end
end

# True if connect has N operands so far (the next one is operand N + 1).
function __sealcat_connect_wants
    test (count (__sealcat_connect_operands)) -eq $argv[1]
end

# True if connect goes through a relay (--via).
function __sealcat_connect_via
    string match -qr -- '^--via(=|$)' (commandline -opc)
end

# sealcat's configuration directory, as sealcat finds it: an absolute
# $XDG_CONFIG_HOME, else ~/.config.
function __sealcat_config_dir
    if string match -q -- '/*' "$XDG_CONFIG_HOME"
        echo $XDG_CONFIG_HOME/sealcat
    else
        echo $HOME/.config/sealcat
    end
end

# The first fields of known_peers' entries: "HOST:PORT" and relay "NAME".
function __sealcat_known_entries
    set -l file (__sealcat_config_dir)/known_peers
    test -r $file; or return 0
    string match -rv '^\s*(#|$)' <$file | string trim |
        string replace -r '\s.*' ''
end

# Hosts from known_peers ("HOST:PORT TOKEN" lines), then the usual ones.
function __sealcat_hosts
    __sealcat_known_entries | string match -- '*:*' |
        string replace -r ':[^:]*$' '' | string trim -c '[]'
    __fish_print_hostnames
end

# The ports known_peers has for the host given before.
function __sealcat_known_ports
    set -l host (__sealcat_connect_operands)[1]
    for entry in (__sealcat_known_entries | string match -- '*:*')
        set -l h (string replace -r ':[^:]*$' '' -- $entry)
        if test "$h" = "$host"; or test "$h" = "[$host]"
            string replace -r '.*:' '' -- $entry
        end
    end
end

# The NAMEs of known_peers' "NAME TOKEN" lines, for connect --via RELAY NAME.
function __sealcat_known_names
    __sealcat_known_entries | string match -v -- '*:*'
end

# The tokens of the .pub files here and in the configuration directory
# (keygen's id_SUITE.pub), for --allow and --peer.
function __sealcat_tokens
    for file in ./*.pub (__sealcat_config_dir)/*.pub
        test -f $file -a -r $file; or continue
        head -n 1 -- $file | string replace -r '\s.*' '' |
            string match -r -- '^[a-z0-9]+:.+'
    end
end
