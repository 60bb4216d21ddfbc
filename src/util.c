/*
 * util.c - see util.h.  Wiping, constant-time comparison, base64 and memory
 * locking are libsodium's; the rest is plain C.
 */
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"

void
wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		sodium_memzero(p, len);
}

bool
ct_equal(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a;
	const volatile uint8_t *y = b;
	uint8_t diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint16_t
get_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

void
put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

int
base64_encode(const uint8_t *in, size_t in_len, char *out, size_t out_cap)
{
	if (out_cap < BASE64_LEN(in_len) + 1)
		return -1;
	sodium_bin2base64(out, out_cap, in, in_len,
	    sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

static bool
base64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

int
base64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
    size_t *out_len)
{
	const char *end = NULL;
	size_t n = 0;

	/* Padded base64 always comes in groups of four characters. */
	if (in_len == 0 || in_len % 4 != 0 || in_len / 4 * 3 > out_cap + 2)
		return -1;
	/* libsodium 1.0.18 decodes every byte >= 0x80 as some digit (it
	 * reads them as negative), which would give one key many spellings:
	 * only the standard alphabet gets that far. */
	for (size_t i = 0; i < in_len; i++)
		if (!base64_char(in[i]))
			return -1;
	if (sodium_base642bin(out, out_cap, in, in_len, NULL, &n, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	if (end != in + in_len)
		return -1;
	*out_len = n;
	return 0;
}

/* Length of the well-formed, non-control UTF-8 character at in, or 0. */
static size_t
utf8_char_len(const uint8_t *in, size_t in_len)
{
	uint8_t b = in[0];
	uint8_t lo = 0x80, hi = 0xbf;
	size_t len;

	if (b >= 0x20 && b < 0x7f)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		len = 2;
	else if (b >= 0xe0 && b <= 0xef)
		len = 3;
	else if (b >= 0xf0 && b <= 0xf4)
		len = 4;
	else
		return 0;	/* C0, DEL, a stray continuation, 0xc0/0xc1, 0xf5+ */
	/* The second byte's range rules out overlongs, surrogates, code
	 * points past U+10FFFF and (after 0xc2) the C1 controls. */
	if (b == 0xc2)
		lo = 0xa0;
	else if (b == 0xe0)
		lo = 0xa0;
	else if (b == 0xed)
		hi = 0x9f;
	else if (b == 0xf0)
		lo = 0x90;
	else if (b == 0xf4)
		hi = 0x8f;
	if (in_len < len || in[1] < lo || in[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (in[i] < 0x80 || in[i] > 0xbf)
			return 0;
	return len;
}

size_t
text_for_terminal(const uint8_t *in, size_t in_len, char *out,
    size_t out_cap)
{
	size_t used = 0;

	for (size_t pos = 0; pos < in_len;) {
		size_t n = utf8_char_len(in + pos, in_len - pos);

		if (n == 0) {
			if (used + 1 >= out_cap)
				break;
			out[used++] = '?';
			pos++;
			continue;
		}
		if (n >= out_cap - used)
			break;
		memcpy(out + used, in + pos, n);
		used += n;
		pos += n;
	}
	out[used] = '\0';
	return used;
}

int
parse_number(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	unsigned long v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (ULONG_MAX - (unsigned long)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
make_dir(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	log_errno("cannot create directory %s", path);
	return -1;
}

int
config_path(const char *name, bool create_dir, char *out, size_t out_cap)
{
	/* Said once: one command may look up several files. */
	static bool warned;
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	bool xdg_relative = xdg != NULL && xdg[0] != '\0' && xdg[0] != '/';
	char base[PATH_MAX];
	int n;

	/* XDG says a relative XDG_CONFIG_HOME is invalid and must be ignored. */
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(base, sizeof(base), "%s", xdg);
	else if (home != NULL && home[0] != '\0') {
		n = snprintf(base, sizeof(base), "%s/.config", home);
		if (xdg_relative && !warned)
			log_warn("XDG_CONFIG_HOME '%s' is not an absolute path, "
			    "so it is ignored — using %s", xdg, base);
		warned = true;
	} else if (xdg_relative) {
		log_error("cannot find the configuration directory: "
		    "XDG_CONFIG_HOME '%s' is not an absolute path, so it is "
		    "ignored, and HOME is not set — set HOME or an absolute "
		    "XDG_CONFIG_HOME, or give the file explicitly", xdg);
		return -1;
	} else {
		log_error("cannot find the configuration directory: neither "
		    "XDG_CONFIG_HOME nor HOME is set — set HOME or give the "
		    "file explicitly");
		return -1;
	}
	if (n < 0 || (size_t)n >= sizeof(base)) {
		log_error("configuration directory path is too long");
		return -1;
	}
	if (create_dir && make_dir(base) == -1)
		return -1;
	n = snprintf(out, out_cap, "%s/sealcat", base);
	if (n < 0 || (size_t)n >= out_cap) {
		log_error("configuration path is too long");
		return -1;
	}
	if (create_dir && make_dir(out) == -1)
		return -1;
	n = snprintf(out, out_cap, "%s/sealcat/%s", base, name);
	if (n < 0 || (size_t)n >= out_cap) {
		log_error("configuration path is too long");
		return -1;
	}
	return 0;
}

bool
config_dir_known(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");

	return (xdg != NULL && xdg[0] == '/') ||
	    (home != NULL && home[0] != '\0');
}

void
harden_process(void)
{
	struct rlimit no_core = { 0, 0 };

	(void)setrlimit(RLIMIT_CORE, &no_core);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/*
 * Plain mlock(): sodium_mlock() adds madvise(MADV_DONTDUMP), which fails
 * on memory that does not start a page (all of ours: structs on the stack)
 * and is moot here anyway, as harden_process() turns core dumps off.
 */
void
lock_secret(void *p, size_t len)
{
	(void)mlock(p, len);
}

void
unlock_secret(void *p, size_t len)
{
	wipe(p, len);
	(void)munlock(p, len);
}

static size_t
page_size(void)
{
	long n = sysconf(_SC_PAGESIZE);

	return n > 0 ? (size_t)n : 4096;
}

/* len rounded up to whole pages. */
static size_t
mapped_len(size_t len)
{
	size_t page = page_size();

	return (len + page - 1) / page * page;
}

void *
secret_map(size_t len)
{
	size_t map_len = mapped_len(len);
	void *p;

	p = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, map_len, MADV_DONTDUMP);
	if (mlock2(p, map_len, MLOCK_ONFAULT) == -1)
		(void)mlock(p, map_len);
	return p;
}

void
secret_wipe(void *p, size_t len)
{
	size_t page = page_size();
	size_t pages = mapped_len(len) / page;
	unsigned char resident[64];
	size_t i, j, chunk;

	if (p == NULL)
		return;
	/* Only pages that were touched can hold anything; wiping the others
	 * would fault them in just to zero them twice. */
	for (i = 0; i < pages; i += chunk) {
		chunk = pages - i < sizeof(resident) ? pages - i :
		    sizeof(resident);
		if (mincore((char *)p + i * page, chunk * page,
		    resident) == -1) {
			wipe((char *)p + i * page, chunk * page);
			continue;
		}
		for (j = 0; j < chunk; j++)
			if (resident[j] & 1)
				wipe((char *)p + (i + j) * page, page);
	}
}

void
secret_unmap(void *p, size_t len)
{
	if (p == NULL)
		return;
	secret_wipe(p, len);
	(void)munmap(p, mapped_len(len));
}
