/*
 * cli.c - usage text and option parsers shared by the subcommands.  The help
 * texts here are the reference for the man page and the completions; a test
 * checks that their long options agree.
 */
#include "cmd/cli.h"

#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "keys/passphrase.h"
#include "session/rekey.h"
#include "base/util.h"

/* The top-level help around the command list, which cli_help() makes from
 * the command table. */
static const char help_top_head[] =
"usage: sealcat <command> [options]\n"
"\n"
"A secure pipe: netcat with Noise XX authentication and encryption.\n"
"\n"
"commands:\n";

static const char help_top_tail[] =
"\n"
"  -h, --help       show this help (sealcat <command> --help for a command)\n"
"  -V, --version    show the version\n"
"\n"
"Example:  sealcat keygen\n"
"          sealcat listen --allow TOKEN 9000 > backup.tar\n"
"          tar c dir | sealcat connect --peer TOKEN host 9000\n";

/* The --kdf-memory entry of keygen and passwd. */
#define HELP_KDF_MEMORY \
"      --kdf-memory MIB\n" \
"                       Argon2id memory for the passphrase, in MiB\n" \
"                       (default 256, about 0.5 s; 1 to 1024)\n"

static const char help_keygen[] =
"usage: sealcat keygen [--suite SUITE] [-o FILE] [-f] [-C TEXT]\n"
"                      [--passphrase | --passphrase-file FILE]\n"
"                      [--kdf-memory MIB]\n"
"\n"
"Create an identity: a private key file (mode 0600) and FILE.pub, and print\n"
"the public token on stdout.\n"
"\n"
"  -o, --output FILE    key file (default $SEALCAT_IDENTITY or\n"
"                       ~/.config/sealcat/id_SUITE)\n"
"      --suite SUITE    x25519 (default) or p256\n"
"  -f, --force          overwrite existing files\n"
"  -C, --comment TEXT   comment for the .pub file\n"
"      --passphrase     protect the key with a passphrase, asked twice on\n"
"                       the terminal\n"
"      --passphrase-file FILE\n"
"                       protect the key with the passphrase in FILE\n"
HELP_KDF_MEMORY
"  -h, --help           show this help\n";

static const char help_passwd[] =
"usage: sealcat passwd [-i FILE] [--passphrase-file FILE]\n"
"                      [--new-passphrase-file FILE] [--kdf-memory MIB]\n"
"\n"
"Add, change or remove the passphrase of an identity key file.  Asks for the\n"
"current passphrase (if there is one) and twice on the terminal for the new\n"
"one; an empty new passphrase removes it, after a confirmation.  The file is\n"
"replaced atomically, keeping its mode and owner; FILE.pub is not changed.\n"
"\n"
"  -i, --identity FILE  key file (default $SEALCAT_IDENTITY, else\n"
"                       ~/.config/sealcat/id_x25519, else id_p256)\n"
"      --passphrase-file FILE\n"
"                       the current passphrase is in FILE\n"
"      --new-passphrase-file FILE\n"
"                       the new passphrase is in FILE (not asked for)\n"
HELP_KDF_MEMORY
"  -h, --help           show this help\n";

static const char help_pubkey[] =
"usage: sealcat pubkey [-F] [-i FILE]\n"
"\n"
"Print the public token of an identity key file.\n"
"\n"
"  -i, --identity FILE  key file (default $SEALCAT_IDENTITY, else\n"
"                       ~/.config/sealcat/id_x25519, else id_p256)\n"
"  -F, --fingerprint    print the key's fingerprint instead, to compare\n"
"                       by voice (xxxx-xxxx-xxxx-xxxx)\n"
"  -h, --help           show this help\n";

/* The lines of the options listen and connect share (CLI_PIPE_LONGOPTS). */
#define HELP_PIPE_IDENTITY \
"  -i, --identity FILE    identity key file\n" \
"      --suite SUITE      x25519 or p256 (must match the identity)\n" \
"      --passphrase-file FILE\n" \
"                         the identity's passphrase, if it has one (else\n" \
"                         asked on the terminal; see sealcat(1))\n"
#define HELP_PIPE_STREAM \
"      --recv-only        do not read stdin\n" \
"      --send-only        discard what arrives\n" \
"      --exit-with-peer   stop reading stdin once the peer's stream ended\n" \
"      --fsync            sync a file on stdout to disk before confirming\n"
#define HELP_PIPE_COMMON \
"      --idle SECS        give up after SECS without traffic (off)\n" \
"      --keepalive SECS   send a keepalive every SECS (off)\n" \
"      --rekey-interval SECS\n" \
"                         fresh keys every SECS (3600; 0: by volume only)\n" \
"      --progress         show a status line on stderr: bytes, rate, time\n" \
"      --size BYTES       with --progress: the size of the transfer, for a\n" \
"                         percentage and an ETA (K, M, G, T allowed)\n" \
"  -4, -6                 IPv4 or IPv6 only\n" \
"  -v, --verbose          report each step on stderr\n" \
"  -q, --quiet            report errors only\n" \
"  -h, --help             show this help\n"

static const char help_listen[] =
"usage: sealcat listen [options] [ADDRESS] PORT\n"
"       sealcat listen [options] unix:PATH\n"
"       sealcat listen [options]   (sockets from systemd, or --inetd)\n"
"       sealcat listen [options] --via RELAY\n"
"\n"
"Accept a connection, authenticate it, and relay it to stdin/stdout (or to\n"
"a command with --exec, or a service with --forward).\n"
"\n"
"  -a, --allow TOKEN      accept this client key (repeatable)\n"
"  -A, --authorized FILE  accept the keys in FILE\n"
"                         (default ~/.config/sealcat/authorized_peers)\n"
"      --allow-any        accept any client key (still encrypted)\n"
"      --code             authenticate with a one-time code instead of keys\n"
"                         (printed, or taken from SEALCAT_CODE)\n"
"      --code-words N     words in a generated code, 2 to 6 (2)\n"
"      --code-tries N     failed tries before the code is void (3)\n"
"      --pair             with --code: add the client's key to the -A file\n"
"                         (default authorized_peers)\n"
HELP_PIPE_IDENTITY
"  -k, --keep-open        keep accepting connections\n"
"  -e, --exec CMD         run /bin/sh -c CMD per connection on the stream\n"
"      --forward HOST:PORT|unix:PATH\n"
"                         relay each connection to a TCP or Unix service\n"
"      --proxy-protocol v1|v2\n"
"                         first tell the --forward target the client's\n"
"                         address in a PROXY protocol header\n"
"      --max-conns N      concurrent connections with -e/--forward (64)\n"
"      --unix-mode MODE   permissions of the unix:PATH socket (0600)\n"
"      --inetd            serve the one connection on stdin/stdout (inetd,\n"
"                         systemd Accept=yes, socat EXEC:)\n"
"      --via HOST:PORT    wait at a sealcat relay instead of on a port\n"
HELP_PIPE_STREAM
"  -w, --timeout SECS     handshake timeout (10)\n"
HELP_PIPE_COMMON;

static const char help_connect[] =
"usage: sealcat connect [options] HOST PORT\n"
"       sealcat connect [options] unix:PATH\n"
"       sealcat connect [options] --via RELAY [NAME]\n"
"\n"
"Connect to a listener, authenticate both ends, and relay stdin/stdout\n"
"(or a command with --exec).\n"
"\n"
"  -p, --peer TOKEN       the server's key (default: ~/.config/sealcat/\n"
"                         known_peers)\n"
"      --trust-new        trust and record an unknown server's key\n"
"      --code CODE        authenticate with the listener's one-time code\n"
"                         (-: SEALCAT_CODE, or ask on the terminal)\n"
"      --pair             with --code: record the server in known_peers\n"
HELP_PIPE_IDENTITY
"  -e, --exec CMD         run /bin/sh -c CMD on the stream\n"
"      --local [ADDRESS:]PORT|unix:PATH\n"
"                         listen there (127.0.0.1) and give each client its\n"
"                         own session to HOST PORT\n"
"      --max-conns N      concurrent --local clients (64)\n"
"      --unix-mode MODE   permissions of the --local unix:PATH socket (0600)\n"
"      --retry SECS       keep trying for SECS while the listener is not up\n"
"      --via HOST:PORT    reach the listener through a sealcat relay; name it\n"
"                         by --peer, a known_peers NAME, or --code\n"
"      --proxy URL        connect through socks5://[USER:PASS@]HOST:PORT or\n"
"                         http://[USER:PASS@]HOST:PORT (default\n"
"                         $SEALCAT_PROXY; none: directly)\n"
HELP_PIPE_STREAM
"  -w, --timeout SECS     connect and handshake timeout (10)\n"
HELP_PIPE_COMMON;

static const char help_relay[] =
"usage: sealcat relay [options] [ADDRESS] PORT\n"
"       sealcat relay [options]   (sockets from systemd)\n"
"\n"
"Run a rendezvous relay: pair each listener with a connector that names the\n"
"same id, and pass their bytes on unread.  The relay holds no key and sees\n"
"only ids and nameplate numbers.\n"
"\n"
"      --max-pairs N      pairs at once (1000)\n"
"      --max-waiting N    clients not paired yet (1000)\n"
"      --max-per-source N\n"
"                         connections per source address (64)\n"
"      --source-rate N    new connections per second per source (20)\n"
"  -w, --timeout SECS     time a client has to send its request (10)\n"
"      --wait SECS        how long a listener waits for a partner (300)\n"
"      --connect-wait SECS\n"
"                         how long a connector waits for a listener (10)\n"
"      --idle SECS        reset a pair silent this long (3600)\n"
"      --max-bytes N      reset a pair after N bytes, K/M/G/T allowed (off)\n"
"      --nameplate-grace SECS\n"
"                         keep a nameplate this long after its listener (60)\n"
"      --shutdown-grace SECS\n"
"                         after SIGTERM, let pairs finish this long (30)\n"
"  -4, -6                 IPv4 or IPv6 only\n"
"  -v, --verbose          report every client on stderr\n"
"  -q, --quiet            report errors only\n"
"  -h, --help             show this help\n";

static const char help_peers[] =
"usage: sealcat peers list\n"
"       sealcat peers allow TOKEN|FILE.pub [COMMENT]\n"
"       sealcat peers trust HOST:PORT|NAME TOKEN|FILE.pub\n"
"       sealcat peers forget HOST:PORT|NAME|TOKEN\n"
"\n"
"Show and edit the trust files: authorized_peers (the clients listen lets\n"
"in) and known_peers (the servers connect knows), in ~/.config/sealcat.\n"
"\n"
"  list                   every entry of both files, as FILE:LINE ENTRY\n"
"  allow                  let a client in (a .pub file's comment is kept)\n"
"  trust                  record a server's key, replacing an old one\n"
"  forget                 remove the lines of a server, or of a key\n"
"  -q, --quiet            report errors only\n"
"  -h, --help             show this help\n";

static const struct command commands[] = {
	{ "keygen", cmd_keygen,
	    "create an identity key file and print its public token",
	    help_keygen },
	{ "pubkey", cmd_pubkey,
	    "print the public token of an identity key file", help_pubkey },
	{ "listen", cmd_listen,
	    "accept connections and relay them to stdio, a command or a port",
	    help_listen },
	{ "connect", cmd_connect, "connect to a listener and relay stdio",
	    help_connect },
	{ "passwd", cmd_passwd,
	    "add, change or remove the passphrase of an identity key file",
	    help_passwd },
	{ "peers", cmd_peers, "list and edit authorized_peers and known_peers",
	    help_peers },
	{ "relay", cmd_relay, "pair listeners and connectors that cannot "
	    "reach each other", help_relay },
};

const struct command *
cli_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

void
cli_help(FILE *fp, const char *subcommand)
{
	const struct command *cmd;

	if (subcommand != NULL && (cmd = cli_command(subcommand)) != NULL) {
		fputs(cmd->help, fp);
		return;
	}
	fputs(help_top_head, fp);
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		fprintf(fp, "  %-9s %s\n", commands[i].name,
		    commands[i].summary);
	fputs(help_top_tail, fp);
}

int
cli_unknown_command(const char *name)
{
	char list[128];
	size_t used = 0;
	int n;

	for (size_t i = 0; i < ARRAY_LEN(commands); i++) {
		n = snprintf(list + used, sizeof(list) - used, "%s%s",
		    i == 0 ? "" : ", ", commands[i].name);
		if (n < 0 || (size_t)n >= sizeof(list) - used)
			break;
		used += (size_t)n;
	}
	if (name[0] == '-')
		return cli_usage(NULL, "unknown option '%s'", name);
	log_error("unknown command '%s' — see 'sealcat --help' (commands: "
	    "%s)", name, list);
	return EXIT_USAGE;
}

int
cli_bad_option(const char *subcommand, int c, char **argv)
{
	const char *arg = argv[optind - 1];
	int len = (int)strcspn(arg, "=");

	if (c == ':') {
		if (strncmp(arg, "--", 2) == 0)
			return cli_usage(subcommand, "option '%.*s' needs an "
			    "argument", len, arg);
		return cli_usage(subcommand, "option '-%c' needs an argument",
		    optopt);
	}
	if (optopt != 0)
		return cli_usage(subcommand, "unknown option '-%c'", optopt);
	return cli_usage(subcommand, "unknown option '%.*s'", len, arg);
}

int
cli_usage(const char *subcommand, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (subcommand != NULL)
		log_error("%s — see 'sealcat %s --help'", msg, subcommand);
	else
		log_error("%s — see 'sealcat --help'", msg);
	return EXIT_USAGE;
}

int
cli_seconds(const char *option, const char *arg, unsigned *out)
{
	unsigned long v;

	/* A day is more than any timeout anyone means; it also keeps
	 * milliseconds inside an int. */
	if (parse_number(arg, 1, 86400, &v) == -1) {
		log_error("%s: '%s' is not a number of seconds — use a whole "
		    "number from 1 to 86400", option, arg);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

int
cli_count(const char *option, const char *arg, unsigned long min,
    unsigned long max, unsigned long *out)
{
	if (parse_number(arg, min, max, out) == -1) {
		log_error("%s: '%s' is not a valid count — use a whole number "
		    "from %lu to %lu", option, arg, min, max);
		return -1;
	}
	return 0;
}

int
cli_port(const char *option, const char *arg)
{
	unsigned long v;

	if (parse_number(arg, 0, 65535, &v) == -1) {
		log_error("%s: '%s' is not a port number — use 0 to 65535",
		    option, arg);
		return -1;
	}
	return 0;
}

int
cli_bytes(const char *option, const char *arg, uint64_t min, uint64_t *out)
{
	static const char units[] = "KMGT";
	char digits[24], from[40] = "";
	size_t len = strlen(arg);
	const char *unit;
	unsigned long v;
	uint64_t scale = 1;

	if (len > 0 && (unit = strchr(units, arg[len - 1])) != NULL &&
	    *unit != '\0') {
		for (const char *u = units; u <= unit; u++)
			scale *= 1024;
		len--;
	}
	if (len == 0 || strspn(arg, "0123456789") != len)
		goto bad;
	if (len >= sizeof(digits))
		goto too_large;
	memcpy(digits, arg, len);
	digits[len] = '\0';
	if (parse_number(digits, 0, ULONG_MAX, &v) == -1 ||
	    (uint64_t)v > UINT64_MAX / scale)
		goto too_large;
	if ((uint64_t)v * scale < min)
		goto bad;
	*out = (uint64_t)v * scale;
	return 0;
too_large:
	log_error("%s: '%s' is too large for a byte count — use less than "
	    "16 EiB (16777216T)", option, arg);
	return -1;
bad:
	if (min > 0)
		snprintf(from, sizeof(from), " from %llu",
		    (unsigned long long)min);
	log_error("%s: '%s' is not a byte count — use a whole number%s, "
	    "optionally followed by K, M, G or T (powers of 1024)", option,
	    arg, from);
	return -1;
}

int
cli_mode(const char *option, const char *arg, mode_t *out)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; arg[i] >= '0' && arg[i] <= '7' && i < 4; i++)
		v = v * 8 + (unsigned long)(arg[i] - '0');
	if (i == 0 || arg[i] != '\0' || v > 0777) {
		log_error("%s: '%s' is not a file mode — use octal permission "
		    "bits such as 0660", option, arg);
		return -1;
	}
	*out = (mode_t)v;
	return 0;
}

int
cli_suite(const char *arg, const struct suite **out)
{
	const struct suite *s = suite_by_name(arg);

	if (s == NULL) {
		log_error("--suite: unknown suite '%s' — use one of: %s", arg,
		    suite_names());
		return -1;
	}
	*out = s;
	return 0;
}

int
cli_kdf_memory(const char *arg, struct keyseal_kdf *out)
{
	unsigned long mib;

	if (cli_count("--kdf-memory", arg, 1, KEYSEAL_MEM_MAX_KIB / 1024,
	    &mib) == -1)
		return -1;
	out->mem_kib = (uint32_t)mib * 1024;
	out->passes = KEYSEAL_PASSES_DEFAULT;
	return 0;
}

/* --rekey-interval: seconds, where 0 turns the timer off (the 16 GiB
 * trigger stays); a week at most, which is already far longer than a key
 * should live. */
static int
rekey_interval(const char *arg, unsigned *out)
{
	unsigned long v;

	if (parse_number(arg, 0, 604800, &v) == -1) {
		log_error("--rekey-interval: '%s' is not a number of seconds — "
		    "use a whole number from 0 (no timer) to 604800", arg);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

void
cli_pipe_defaults(struct pipe_opts *p)
{
	memset(p, 0, sizeof(*p));
	p->timeout_s = CLI_TIMEOUT_DEFAULT;
	p->rekey_interval_s = REKEY_INTERVAL_DEFAULT;
	p->family = AF_UNSPEC;
	p->verbosity = LOG_NORMAL;
}

int
cli_pipe_option(struct pipe_opts *p, const char *subcommand, int c,
    const char *arg)
{
	switch (c) {
	case 'i':
		p->identity = arg;
		return 1;
	case CLI_OPT_PASSPHRASE_FILE:
		if (arg[0] == '\0') {
			cli_usage(subcommand, "--passphrase-file: empty file "
			    "name");
			return -1;
		}
		p->passphrase_file = arg;
		return 1;
	case CLI_OPT_SUITE:
		return cli_suite(arg, &p->suite) == -1 ? -1 : 1;
	case 'e':
		p->exec_cmd = arg;
		return 1;
	case CLI_OPT_RECV_ONLY:
		p->recv_only = true;
		return 1;
	case CLI_OPT_SEND_ONLY:
		p->send_only = true;
		return 1;
	case CLI_OPT_EXIT_WITH_PEER:
		p->exit_with_peer = true;
		return 1;
	case CLI_OPT_FSYNC:
		p->fsync = true;
		return 1;
	case CLI_OPT_PROGRESS:
		p->progress = true;
		return 1;
	case CLI_OPT_SIZE:
		if (cli_bytes("--size", arg, 1, &p->size) == -1)
			return -1;
		p->size_set = true;
		return 1;
	case CLI_OPT_REKEY_INTERVAL:
		return rekey_interval(arg, &p->rekey_interval_s) == -1 ? -1 :
		    1;
	case 'w':
		return cli_seconds("-w", arg, &p->timeout_s) == -1 ? -1 : 1;
	case CLI_OPT_IDLE:
		return cli_seconds("--idle", arg, &p->idle_s) == -1 ? -1 : 1;
	case CLI_OPT_KEEPALIVE:
		return cli_seconds("--keepalive", arg, &p->keepalive_s) == -1 ?
		    -1 : 1;
	case '4':
	case '6':
		if (p->family != AF_UNSPEC) {
			cli_usage(subcommand, "-4 and -6 exclude each other");
			return -1;
		}
		p->family = c == '4' ? AF_INET : AF_INET6;
		return 1;
	case 'v':
	case 'q':
		if (p->verbosity == (c == 'v' ? LOG_QUIET : LOG_VERBOSE)) {
			cli_usage(subcommand, "-v and -q exclude each other");
			return -1;
		}
		p->verbosity = c == 'v' ? LOG_VERBOSE : LOG_QUIET;
		return 1;
	default:
		return 0;
	}
}

int
cli_pipe_check(const struct pipe_opts *p, const char *subcommand)
{
	if (p->recv_only && p->send_only) {
		cli_usage(subcommand, "--recv-only and --send-only together "
		    "would relay nothing — use one of them");
		return -1;
	}
	if (p->size_set && !p->progress) {
		cli_usage(subcommand, "--size is for --progress — add "
		    "--progress, or drop --size");
		return -1;
	}
	log_set_level((enum log_level)p->verbosity);
	return 0;
}

const char *
cli_pipe_stdout_fix(const struct pipe_opts *p, bool another_output)
{
	if (p->send_only || p->exec_cmd != NULL || another_output)
		return NULL;
	return "redirect it (> FILE, or > /dev/null to discard what "
	    "arrives), or pass --send-only";
}

int
cli_pipe_identity(const struct pipe_opts *p, struct identity *id,
    char *unchecked, size_t unchecked_cap)
{
	const struct suite *suite = p->suite != NULL ? p->suite :
	    suite_default();
	char path[4096];
	const char *file = p->identity;
	bool sealed = false;
	int rc;

	if (file == NULL) {
		if (keyfile_default_path(suite, false, path, sizeof(path)) ==
		    -1)
			return EXIT_USAGE;
		file = path;
	}
	if (unchecked != NULL) {
		size_t len = strlen(file);

		if (len >= unchecked_cap) {
			log_error("%s: the key file name is too long — use a "
			    "shorter path", file);
			return EXIT_USAGE;
		}
		memcpy(unchecked, file, len + 1);
	}
	rc = keyfile_open(file, p->passphrase_file, unchecked == NULL,
	    &sealed, id);
	if (rc != 0)
		return rc == KEYFILE_RUNTIME ? EXIT_RUNTIME : EXIT_USAGE;
	/* Not needed (a plain key, or --passphrase-file came first): no
	 * --exec child gets the descriptor or its number either. */
	passphrase_forget_fd();
	if (p->passphrase_file != NULL && !sealed)
		log_warn("--passphrase-file: %s has no passphrase, so the file "
		    "was not read — protect the key with 'sealcat passwd -i "
		    "%s'", file, file);
	if (p->suite != NULL && p->suite != id->suite) {
		log_error("--suite %s does not match the identity %s, which is "
		    "a %s key — drop --suite, or use a %s identity (sealcat "
		    "keygen --suite %s)", p->suite->name, file,
		    id->suite->name, p->suite->name, p->suite->name);
		identity_clear(id);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int
cli_code_identity(const struct pipe_opts *p, struct identity *id,
    char *unchecked, size_t unchecked_cap, bool *one_time)
{
	char path[4096];
	int rc;

	*one_time = false;
	if (p->identity == NULL && getenv("SEALCAT_IDENTITY") == NULL &&
	    (!config_dir_known() || keyfile_default_path(&suite_x25519,
	    false, path, sizeof(path)) == -1 || access(path, F_OK) == -1)) {
		/* No key file: a fresh one-time key for this session. */
		if (identity_generate(&suite_x25519, id) == -1)
			return EXIT_RUNTIME;
		*one_time = true;
		if (unchecked != NULL && unchecked_cap > 0)
			unchecked[0] = '\0';
		return EXIT_OK;
	}
	if ((rc = cli_pipe_identity(p, id, unchecked, unchecked_cap)) !=
	    EXIT_OK)
		return rc;
	if (id->suite != &suite_x25519) {
		log_error("the identity is a %s key, and code mode works with "
		    "x25519 keys only — use an x25519 identity (-i), or none",
		    id->suite->name);
		identity_clear(id);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}
