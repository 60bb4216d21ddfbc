/*
 * replay.c - runs a fuzz target without libFuzzer over its checked-in seed
 * corpus, as a TAP test under `make check`: the targets keep compiling with
 * the normal compiler and flags, the sanitizer build runs every seed under
 * ASan and UBSan, and seeds that no longer mean what their names say are
 * caught.
 *
 * The program replay_<target> reads $SEALCAT_SRCDIR/tests/fuzz/corpus/
 * <target>/ (or the directory given as its argument).  A seed named ok-*
 * must be accepted all the way (fuzz_accepted), one named bad-* must not;
 * any other name (a crash found by a fuzzer, say) just has to run.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define INPUT_MAX (1024 * 1024)

static int
target_dir(const char *argv0, char *out, size_t out_cap)
{
	const char *base = strrchr(argv0, '/');
	const char *srcdir = getenv("SEALCAT_SRCDIR");
	const char *prefix = "replay_";
	int n;

	base = base != NULL ? base + 1 : argv0;
	if (strncmp(base, prefix, strlen(prefix)) != 0 || srcdir == NULL)
		return -1;
	n = snprintf(out, out_cap, "%s/tests/fuzz/corpus/%s", srcdir,
	    base + strlen(prefix));
	return n < 0 || (size_t)n >= out_cap ? -1 : 0;
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;

	if (f == NULL)
		return NULL;
	buf = malloc(INPUT_MAX);
	if (buf != NULL) {
		*len = fread(buf, 1, INPUT_MAX, f);
		if (ferror(f) || !feof(f)) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

static int
seeds_only(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int
main(int argc, char **argv)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent **names;
	int count, failed = 0;

	if (argc > 1)
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	else if (target_dir(argv[0], dir, sizeof(dir)) != 0) {
		fprintf(stderr, "usage: replay_<target> [corpus-dir] "
		    "(or set SEALCAT_SRCDIR)\n");
		return 2;
	}
	count = scandir(dir, &names, seeds_only, alphasort);
	if (count <= 0) {
		printf("1..1\nnot ok 1 - seeds in %s: %s\n", dir,
		    count == 0 ? "none" : strerror(errno));
		return 1;
	}
	printf("1..%d\n", count);
	for (int i = 0; i < count; i++) {
		const char *name = names[i]->d_name;
		bool want_ok = strncmp(name, "ok-", 3) == 0;
		bool want_bad = strncmp(name, "bad-", 4) == 0;
		uint8_t *data = NULL;
		size_t len = 0;
		int n;
		bool good;

		n = snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (n < 0 || (size_t)n >= sizeof(path) ||
		    (data = read_file(path, &len)) == NULL) {
			printf("not ok %d - %s: cannot read\n", i + 1, name);
			failed++;
			free(names[i]);
			continue;
		}
		LLVMFuzzerTestOneInput(data, len);
		good = (!want_ok || fuzz_accepted) &&
		    (!want_bad || !fuzz_accepted);
		printf("%sok %d - %s (%zu bytes): %s\n", good ? "" : "not ",
		    i + 1, name, len,
		    fuzz_accepted ? "accepted" : "refused");
		failed += !good;
		free(data);
		free(names[i]);
	}
	free(names);
	return failed > 0;
}
