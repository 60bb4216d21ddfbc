/*
 * cmd_keygen.c - keygen, pubkey and passwd: create an identity key file and
 * its .pub, print a key file's public token, add, change or remove a key
 * file's passphrase.  The file formats and all checks on them are
 * keyfile.c's and keyseal.c's, asking for passphrases is passphrase.c's;
 * this file parses options and prints the token.
 */
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "keys/fingerprint.h"
#include "keys/keyfile.h"
#include "session/local.h"
#include "base/log.h"
#include "keys/passphrase.h"
#include "base/util.h"

enum {
	OPT_SUITE = 256,
	OPT_PASSPHRASE,
	OPT_PASSPHRASE_FILE,
	OPT_KDF_MEMORY,
	OPT_PASS_FILE,
	OPT_NEW_PASS_FILE
};

struct keygen_opts {
	const struct suite *suite;
	const char *output;	/* NULL: the default path */
	const char *comment;	/* NULL: none */
	bool force;
	bool passphrase;	/* --passphrase: ask on the terminal */
	const char *passphrase_file;	/* --passphrase-file, or NULL */
	struct keyseal_kdf kdf;
	bool kdf_given;		/* --kdf-memory */
	bool help;	/* --help: printed, nothing else to do */
};

/* An exit status for a keyfile.h or passphrase.h result. */
static int
status_of(int rc)
{
	if (rc == 0)
		return EXIT_OK;
	return rc == KEYFILE_RUNTIME || rc == PASSPHRASE_RUNTIME ?
	    EXIT_RUNTIME : EXIT_USAGE;
}

/* Prints a token on stdout.  Returns an exit status. */
static int
print_token(const struct identity *id)
{
	char token[TOKEN_MAX];

	if (token_format(id->suite, id->pub, token, sizeof(token)) == -1) {
		log_error("cannot format the public key — this is a bug");
		return EXIT_RUNTIME;
	}
	if (printf("%s\n", token) < 0 || fflush(stdout) == EOF) {
		log_errno("cannot write the token to stdout");
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* Prints a key's fingerprint on stdout.  Returns an exit status. */
static int
print_fingerprint(const struct identity *id)
{
	char fp[FINGERPRINT_MAX];

	fingerprint_format(id->suite, id->pub, fp);
	if (printf("%s\n", fp) < 0 || fflush(stdout) == EOF) {
		log_errno("cannot write the fingerprint to stdout");
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* Fills o from the command line.  Returns EXIT_OK, or EXIT_USAGE after
 * reporting. */
static int
keygen_options(int argc, char **argv, struct keygen_opts *o)
{
	static const struct option longopts[] = {
		{ "suite", required_argument, NULL, OPT_SUITE },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "comment", required_argument, NULL, 'C' },
		{ "passphrase", no_argument, NULL, OPT_PASSPHRASE },
		{ "passphrase-file", required_argument, NULL,
		    OPT_PASSPHRASE_FILE },
		{ "kdf-memory", required_argument, NULL, OPT_KDF_MEMORY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:fC:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_PASSPHRASE:
			o->passphrase = true;
			break;
		case OPT_PASSPHRASE_FILE:
			if (optarg[0] == '\0')
				return cli_usage("keygen", "--passphrase-file: "
				    "empty file name");
			o->passphrase_file = optarg;
			break;
		case OPT_KDF_MEMORY:
			if (cli_kdf_memory(optarg, &o->kdf) == -1)
				return EXIT_USAGE;
			o->kdf_given = true;
			break;
		case OPT_SUITE:
			if (cli_suite(optarg, &o->suite) == -1)
				return EXIT_USAGE;
			break;
		case 'o':
			if (optarg[0] == '\0')
				return cli_usage("keygen", "--output: empty "
				    "file name");
			o->output = optarg;
			break;
		case 'f':
			o->force = true;
			break;
		case 'C':
			o->comment = optarg;
			break;
		case 'h':
			cli_help(stdout, "keygen");
			o->help = true;
			return EXIT_OK;
		default:
			return cli_bad_option("keygen", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage("keygen", "unexpected argument '%s'",
		    argv[optind]);
	if (o->passphrase && o->passphrase_file != NULL)
		return cli_usage("keygen", "--passphrase asks on the terminal, "
		    "--passphrase-file reads a file — use one of them");
	if (o->kdf_given && !o->passphrase && o->passphrase_file == NULL)
		return cli_usage("keygen", "--kdf-memory is the cost of a "
		    "passphrase — add --passphrase or --passphrase-file");
	return EXIT_OK;
}

/* The new key's passphrase into pass, from --passphrase-file or the
 * terminal.  Returns an exit status. */
static int
new_passphrase(const struct keygen_opts *o, struct passphrase *pass)
{
	if (o->passphrase_file != NULL)
		return status_of(passphrase_from_file(o->passphrase_file,
		    "--passphrase-file", pass));
	return status_of(passphrase_new(o->output, false, pass));
}

/* Writes the key file for id, protected if asked to.  Returns an exit
 * status. */
static int
write_key(const struct keygen_opts *o, const struct identity *id)
{
	struct passphrase *pass = NULL;
	struct keyfile_lock lock;
	int rc;

	if (!o->passphrase && o->passphrase_file == NULL)
		return status_of(keyfile_write_locked(o->output, id,
		    o->comment, o->force, NULL));
	/* Refused before anyone types a passphrase for nothing. */
	if (!o->force && keyfile_check_new(o->output) == -1)
		return EXIT_USAGE;
	if ((pass = secret_alloc(sizeof(*pass))) == NULL)
		return EXIT_RUNTIME;
	if ((rc = new_passphrase(o, pass)) == EXIT_OK) {
		lock.pass = pass->bytes;
		lock.pass_len = pass->len;
		lock.kdf = o->kdf;
		rc = status_of(keyfile_write_locked(o->output, id, o->comment,
		    o->force, &lock));
	}
	secret_free(pass, sizeof(*pass));
	return rc;
}

int
cmd_keygen(int argc, char **argv)
{
	struct keygen_opts o = {
		.suite = suite_default(),
		.kdf = { KEYSEAL_MEM_DEFAULT_KIB, KEYSEAL_PASSES_DEFAULT },
	};
	struct identity *id = NULL;
	char path[PATH_MAX];
	int rc;

	if ((rc = keygen_options(argc, argv, &o)) != EXIT_OK || o.help)
		return rc;
	if (local_guard_stdio(CLI_TOKEN_STDOUT_FIX) == -1)
		return EXIT_USAGE;
	if (o.output == NULL) {
		if (keyfile_default_path(o.suite, true, path,
		    sizeof(path)) == -1)
			return EXIT_USAGE;
		o.output = path;
	}
	if ((id = secret_alloc(sizeof(*id))) == NULL)
		rc = EXIT_RUNTIME;
	else if (identity_generate(o.suite, id) == -1)
		rc = EXIT_RUNTIME;
	else if ((rc = write_key(&o, id)) == EXIT_OK)
		rc = print_token(id);
	secret_free(id, sizeof(*id));
	return rc;
}

int
cmd_pubkey(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "identity", required_argument, NULL, 'i' },
		{ "fingerprint", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL;
	bool fingerprint = false;
	struct identity *id = NULL;
	char path[PATH_MAX];
	int c;
	int rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:Fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (optarg[0] == '\0')
				return cli_usage("pubkey", "--identity: empty "
				    "file name");
			file = optarg;
			break;
		case 'F':
			fingerprint = true;
			break;
		case 'h':
			cli_help(stdout, "pubkey");
			return EXIT_OK;
		default:
			return cli_bad_option("pubkey", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage("pubkey", "unexpected argument '%s'",
		    argv[optind]);
	if (local_guard_stdio(CLI_TOKEN_STDOUT_FIX) == -1)
		return EXIT_USAGE;
	if (file == NULL) {
		if (keyfile_find_default(NULL, path, sizeof(path)) == -1)
			return EXIT_USAGE;
		file = path;
	}
	if ((id = secret_alloc(sizeof(*id))) == NULL)
		rc = EXIT_RUNTIME;
	else if (keyfile_load_public(file, id) == -1)
		rc = EXIT_USAGE;
	else if (fingerprint)
		rc = print_fingerprint(id);
	else
		rc = print_token(id);
	secret_free(id, sizeof(*id));
	return rc;
}

struct passwd_opts {
	const char *file;	/* -i, or NULL: the default identity */
	const char *pass_file;	/* --passphrase-file: the current one */
	const char *new_file;	/* --new-passphrase-file */
	struct keyseal_kdf kdf;
	bool help;
};

/* Fills o from the command line.  Returns EXIT_OK, or EXIT_USAGE after
 * reporting. */
static int
passwd_options(int argc, char **argv, struct passwd_opts *o)
{
	static const struct option longopts[] = {
		{ "identity", required_argument, NULL, 'i' },
		{ "passphrase-file", required_argument, NULL, OPT_PASS_FILE },
		{ "new-passphrase-file", required_argument, NULL,
		    OPT_NEW_PASS_FILE },
		{ "kdf-memory", required_argument, NULL, OPT_KDF_MEMORY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (optarg[0] == '\0')
				return cli_usage("passwd", "--identity: empty "
				    "file name");
			o->file = optarg;
			break;
		case OPT_PASS_FILE:
		case OPT_NEW_PASS_FILE:
			if (optarg[0] == '\0')
				return cli_usage("passwd", "%s: empty file "
				    "name", c == OPT_PASS_FILE ?
				    "--passphrase-file" :
				    "--new-passphrase-file");
			*(c == OPT_PASS_FILE ? &o->pass_file : &o->new_file) =
			    optarg;
			break;
		case OPT_KDF_MEMORY:
			if (cli_kdf_memory(optarg, &o->kdf) == -1)
				return EXIT_USAGE;
			break;
		case 'h':
			cli_help(stdout, "passwd");
			o->help = true;
			return EXIT_OK;
		default:
			return cli_bad_option("passwd", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage("passwd", "unexpected argument '%s'",
		    argv[optind]);
	return EXIT_OK;
}

/*
 * The new state of file (sealed: it has a passphrase now) from the new
 * passphrase pass: *lock filled, or *plain set when the passphrase is to
 * go.  Returns an exit status; EXIT_RUNTIME after reporting when nothing
 * is to change.
 */
static int
new_state(const char *file, bool sealed, const struct passwd_opts *o,
    const struct passphrase *pass, struct keyfile_lock *lock, bool *plain)
{
	char question[PATH_MAX + 96];
	int yes;

	*plain = false;
	if (pass->len > 0) {
		lock->pass = pass->bytes;
		lock->pass_len = pass->len;
		lock->kdf = o->kdf;
		return EXIT_OK;
	}
	if (!sealed) {
		log_error("%s has no passphrase and none was given — nothing "
		    "was changed", file);
		return EXIT_RUNTIME;
	}
	snprintf(question, sizeof(question), "Remove the passphrase and store "
	    "%s unencrypted? [y/N] ", file);
	if ((yes = passphrase_confirm(question)) == -1)
		return EXIT_USAGE;
	if (yes == 0) {
		log_error("%s: the passphrase stays — nothing was changed",
		    file);
		return EXIT_RUNTIME;
	}
	*plain = true;
	return EXIT_OK;
}

int
cmd_passwd(int argc, char **argv)
{
	struct passwd_opts o = {
		.kdf = { KEYSEAL_MEM_DEFAULT_KIB, KEYSEAL_PASSES_DEFAULT },
	};
	struct identity *id = NULL;
	struct passphrase *pass = NULL;
	struct keyfile_lock lock;
	char path[PATH_MAX];
	bool sealed = false, plain = false;
	int rc;

	if ((rc = passwd_options(argc, argv, &o)) != EXIT_OK || o.help)
		return rc;
	if (o.file == NULL) {
		if (keyfile_find_default(NULL, path, sizeof(path)) == -1)
			return EXIT_USAGE;
		o.file = path;
	}
	if ((id = secret_alloc(sizeof(*id))) == NULL ||
	    (pass = secret_alloc(sizeof(*pass))) == NULL) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	/* A new passphrase from a file is checked before anything is
	 * unlocked; one from the terminal is asked for after the current
	 * one: only the key's owner may change it. */
	if (o.new_file != NULL && (rc = status_of(passphrase_from_file(
	    o.new_file, "--new-passphrase-file", pass))) != EXIT_OK)
		goto out;
	if ((rc = status_of(keyfile_open(o.file, o.pass_file, true, &sealed,
	    id))) != EXIT_OK)
		goto out;
	if (o.new_file == NULL && (rc = status_of(passphrase_new(o.file, true,
	    pass))) != EXIT_OK)
		goto out;
	if ((rc = new_state(o.file, sealed, &o, pass, &lock, &plain)) !=
	    EXIT_OK)
		goto out;
	if ((rc = status_of(keyfile_rewrite(o.file, id, plain ? NULL :
	    &lock))) != EXIT_OK)
		goto out;
	fprintf(stderr, "sealcat: %s: passphrase %s\n", o.file, plain ?
	    "removed" : sealed ? "changed" : "added");
out:
	secret_free(pass, sizeof(*pass));
	secret_free(id, sizeof(*id));
	return rc;
}
