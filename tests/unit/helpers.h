/*
 * helpers.h - for unit tests that touch files or check messages: a private
 * temporary directory, and capturing what a call writes to stderr.
 * Header-only, like tap.h.
 */
#ifndef SEALCAT_TEST_HELPERS_H
#define SEALCAT_TEST_HELPERS_H

#include <stdarg.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char test_dir[512];
static int stderr_saved = -1;
static FILE *stderr_file;
/* What the last capture_end() collected. */
static char captured[2048];

/* Creates test_dir under $TMPDIR (or /tmp); exits on failure. */
static inline void
test_dir_create(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(test_dir, sizeof(test_dir), "%s/sealcat-test-XXXXXX",
	    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(test_dir) == NULL) {
		perror("mkdtemp");
		exit(99);
	}
}

static inline int
test_rm_one(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static inline void
test_dir_remove(void)
{
	if (test_dir[0] != '\0')
		(void)nftw(test_dir, test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* test_dir "/" name into out (static buffer rotation: 4 at a time). */
static inline const char *
test_path(const char *name)
{
	static char bufs[4][700];
	static int next;
	char *out = bufs[next++ % 4];

	snprintf(out, sizeof(bufs[0]), "%s/%s", test_dir, name);
	return out;
}

/* Writes len bytes to test_dir/name with mode; returns the path. */
static inline const char *
test_write_file(const char *name, const void *data, size_t len, mode_t mode)
{
	const char *path = test_path(name);
	int fd;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd == -1 || write(fd, data, len) != (ssize_t)len ||
	    fchmod(fd, mode) == -1 || close(fd) == -1) {
		perror(path);
		exit(99);
	}
	return path;
}

/* Reads test file path into a static NUL-terminated buffer ("" if none). */
static inline const char *
test_read_file(const char *path)
{
	static char buf[4096];
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	if (fp != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

/* Sends stderr to a temporary file until capture_end(). */
static inline void
capture_begin(void)
{
	fflush(stderr);
	stderr_file = tmpfile();
	stderr_saved = dup(STDERR_FILENO);
	if (stderr_file == NULL || stderr_saved == -1 ||
	    dup2(fileno(stderr_file), STDERR_FILENO) == -1) {
		perror("capture_begin");
		exit(99);
	}
}

/* Restores stderr; the captured text is in `captured`. */
static inline const char *
capture_end(void)
{
	size_t n;

	fflush(stderr);
	dup2(stderr_saved, STDERR_FILENO);
	close(stderr_saved);
	rewind(stderr_file);
	n = fread(captured, 1, sizeof(captured) - 1, stderr_file);
	captured[n] = '\0';
	fclose(stderr_file);
	return captured;
}

/* True if `captured` is one "sealcat: " line containing every string in
 * the NULL-terminated list. */
static inline bool
captured_line_has(const char *first, ...)
{
	size_t len = strlen(captured);
	va_list ap;
	bool all = true;

	if (len == 0 || strncmp(captured, "sealcat: ", 9) != 0 ||
	    captured[len - 1] != '\n' || memchr(captured, '\n', len - 1) != NULL)
		return false;
	va_start(ap, first);
	for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
		if (strstr(captured, s) == NULL)
			all = false;
	va_end(ap);
	if (!all)
		printf("# captured: %s", captured);
	return all;
}

#endif
