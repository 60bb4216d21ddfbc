/*
 * util.c - see util.h.  Wiping, constant-time comparison, base64 and memory
 * locking are libsodium's; the rest is plain C.
 */
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
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

#include "base/log.h"

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

/* The directory part of path ("." when it has none) into out. */
static int
dir_of(const char *path, char *out, size_t out_cap)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (slash == NULL)
		n = snprintf(out, out_cap, ".");
	else if (slash == path)
		n = snprintf(out, out_cap, "/");
	else
		n = snprintf(out, out_cap, "%.*s", (int)(slash - path), path);
	return n < 0 || (size_t)n >= out_cap ? -1 : 0;
}

/* A new random name ".BASE.XXXXXXXX" beside path, into out (PATH_MAX). */
static int
spare_name(const char *path, char *out, size_t out_cap)
{
	static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	const char *slash = strrchr(path, '/');
	size_t dir_len = slash == NULL ? 0 : (size_t)(slash - path) + 1;
	uint8_t rnd[8];
	char suffix[sizeof(rnd) + 1];
	int n;

	randombytes_buf(rnd, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++)
		suffix[i] = digits[rnd[i] % (sizeof(digits) - 1)];
	suffix[sizeof(rnd)] = '\0';
	n = snprintf(out, out_cap, "%.*s.%s.%s", (int)dir_len, path,
	    path + dir_len, suffix);
	return n < 0 || (size_t)n >= out_cap ? -1 : 0;
}

/* Creates f->tmp afresh.  Returns the descriptor, or -1 after reporting. */
static int
create_tmp(struct atomic_file *f, mode_t mode)
{
	int fd = -1;

	/* A name that exists already (from a crash, or planted) is never
	 * opened: O_EXCL, and another name. */
	for (int tries = 0; fd == -1 && tries < 16; tries++) {
		if (spare_name(f->path, f->tmp, sizeof(f->tmp)) == -1) {
			log_error("%s: path too long — choose a shorter name",
			    f->path);
			break;
		}
		fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, mode);
		if (fd == -1 && errno != EEXIST) {
			log_error("%s: cannot create: %s — check the "
			    "directory exists and is writable", f->path,
			    strerror(errno));
			break;
		}
	}
	if (fd == -1)
		f->tmp[0] = '\0';
	return fd;
}

/* Gives fd the owner and group of the regular file at from, if it has
 * another.  Returns 0, or -1 after reporting. */
static int
keep_owner(int fd, const char *path, const char *from)
{
	struct stat old, now;

	if (lstat(from, &old) == -1 || !S_ISREG(old.st_mode))
		return 0;
	if (fstat(fd, &now) == -1) {
		log_error("%s: cannot stat the new file: %s — check the disk",
		    path, strerror(errno));
		return -1;
	}
	if (now.st_uid == old.st_uid && now.st_gid == old.st_gid)
		return 0;
	if (fchown(fd, old.st_uid, old.st_gid) == 0)
		return 0;
	log_error("%s: cannot give the new file the owner of the old one "
	    "(uid %u, gid %u): %s — run this as that user or as root",
	    path, (unsigned)old.st_uid, (unsigned)old.st_gid, strerror(errno));
	return -1;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
atomic_file_prepare(struct atomic_file *f, const char *path,
    const void *data, size_t len, mode_t mode, const char *keep_owner_of)
{
	struct stat st;
	int fd = -1;
	int rc = -1;
	int n;

	memset(f, 0, sizeof(*f));
	n = snprintf(f->path, sizeof(f->path), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(f->path)) {
		log_error("%s: path too long — choose a shorter name", path);
		f->path[0] = '\0';
		return -1;
	}
	/* rename() would refuse too, but only after the other files of a
	 * set may have been replaced. */
	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		log_error("%s: is a directory — remove it or choose another "
		    "name", path);
		return -1;
	}
	if ((fd = create_tmp(f, mode)) == -1)
		goto out;
	if (keep_owner_of != NULL && keep_owner(fd, path, keep_owner_of) == -1)
		goto out;
	if (write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		log_error("%s: cannot write: %s — check the disk", path,
		    strerror(errno));
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc == -1)
		log_error("%s: cannot write: %s — check the disk", path,
		    strerror(errno));
out:
	if (fd != -1)
		close(fd);
	if (rc == -1 && f->tmp[0] != '\0') {
		(void)unlink(f->tmp);
		f->tmp[0] = '\0';
	}
	return rc;
}

/* Gives the current target a spare name (a hard link) for
 * atomic_file_undo().  Returns 0, or -1 after reporting. */
static int
keep_old(struct atomic_file *f)
{
	for (int tries = 0; tries < 16; tries++) {
		if (spare_name(f->path, f->old, sizeof(f->old)) == -1)
			break;
		if (link(f->path, f->old) == 0)
			return 0;
		if (errno == ENOENT) {
			f->old[0] = '\0';	/* nothing to keep */
			return 0;
		}
		if (errno != EEXIST) {
			log_error("%s: cannot keep the old file while it is "
			    "replaced: %s — check the directory is writable",
			    f->path, strerror(errno));
			break;
		}
	}
	f->old[0] = '\0';
	return -1;
}

int
atomic_file_commit(struct atomic_file *f, enum atomic_commit how)
{
	if (f->tmp[0] == '\0')
		return -1;
	if (how == ATOMIC_CREATE) {
		/* link() fails with EEXIST where rename() would replace,
		 * whatever appeared at the target since we looked. */
		if (link(f->tmp, f->path) == -1) {
			if (errno == EEXIST)
				log_error("%s: already exists — remove it or "
				    "choose another name", f->path);
			else
				log_error("%s: cannot create: %s — check the "
				    "directory is writable", f->path,
				    strerror(errno));
			return -1;
		}
		(void)unlink(f->tmp);
	} else {
		if (how == ATOMIC_REPLACE_UNDO && keep_old(f) == -1)
			return -1;
		if (rename(f->tmp, f->path) == -1) {
			log_error("%s: cannot replace: %s — check the file and "
			    "its directory", f->path, strerror(errno));
			if (f->old[0] != '\0')
				(void)unlink(f->old);
			f->old[0] = '\0';
			return -1;
		}
	}
	f->tmp[0] = '\0';
	f->undoable = how != ATOMIC_REPLACE;
	f->changed = true;
	return 0;
}

int
atomic_file_undo(struct atomic_file *f)
{
	int rc;

	if (!f->undoable)
		return -1;
	if (f->old[0] != '\0')
		rc = rename(f->old, f->path);
	else
		rc = unlink(f->path);
	if (rc == -1) {
		log_error("%s: cannot put the old file back: %s — check the "
		    "file", f->path, strerror(errno));
		return -1;
	}
	f->old[0] = '\0';
	f->undoable = false;
	return 0;
}

int
atomic_file_done(struct atomic_file *f)
{
	char dir[PATH_MAX];
	int fd;
	int rc = 0;

	if (f->tmp[0] != '\0')
		(void)unlink(f->tmp);
	if (f->old[0] != '\0')
		(void)unlink(f->old);
	f->tmp[0] = f->old[0] = '\0';
	f->undoable = false;
	if (!f->changed)
		return 0;
	f->changed = false;
	/* The rename is only durable once the directory is on disk. */
	if (dir_of(f->path, dir, sizeof(dir)) == -1)
		return -1;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (fsync(fd) == -1 && errno != EINVAL)) {
		/* EINVAL: a file system that cannot sync directories. */
		log_error("%s: cannot sync its directory: %s — check the disk",
		    f->path, strerror(errno));
		rc = -1;
	}
	if (fd != -1)
		close(fd);
	return rc;
}

int
atomic_write_file(const char *path, const void *data, size_t len,
    mode_t mode, const char *keep_owner_of)
{
	struct atomic_file f;
	int rc = -1;

	if (atomic_file_prepare(&f, path, data, len, mode, keep_owner_of) ==
	    0 && atomic_file_commit(&f, ATOMIC_REPLACE) == 0)
		rc = 0;
	if (f.path[0] != '\0' && atomic_file_done(&f) == -1)
		rc = -1;
	return rc;
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
 * The arena of util.h.  It is process-wide, like the memory locks it
 * stands for; used[] marks the ARENA_CHUNK-byte chunks handed out.
 */
#define ARENA_CHUNK 64
#define ARENA_CHUNKS (SECRET_ARENA_LEN / ARENA_CHUNK)

static struct {
	uint8_t *base;
	bool used[ARENA_CHUNKS];
} arena;

/*
 * Maps and locks the arena.  A private mapping of a memfd: the memfd names
 * it in /proc/PID/maps on any kernel (PR_SET_VMA_ANON_NAME needs a kernel
 * option), and a private mapping keeps what a forked child writes its
 * own.  The memfd's own pages only ever hold zeros.
 */
static int
arena_map(void)
{
	void *p = MAP_FAILED;
	int fd;

	if ((fd = memfd_create("sealcat-secrets", MFD_CLOEXEC)) != -1) {
		if (ftruncate(fd, SECRET_ARENA_LEN) == 0)
			p = mmap(NULL, SECRET_ARENA_LEN, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE, fd, 0);
		close(fd);
	}
	if (p == MAP_FAILED)
		p = mmap(NULL, SECRET_ARENA_LEN, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_errno("cannot map memory for secrets");
		return -1;
	}
	(void)madvise(p, SECRET_ARENA_LEN, MADV_DONTDUMP);
	/* mlock() faults every page in, so it is locked from now on. */
	(void)mlock(p, SECRET_ARENA_LEN);
	arena.base = p;
	return 0;
}

static size_t
chunks_of(size_t len)
{
	return len == 0 ? 1 : (len - 1) / ARENA_CHUNK + 1;
}

void *
secret_alloc(size_t len)
{
	size_t n = chunks_of(len);
	size_t run = 0;

	if (arena.base == NULL && arena_map() == -1)
		return NULL;
	for (size_t i = 0; i < ARENA_CHUNKS && n <= ARENA_CHUNKS; i++) {
		run = arena.used[i] ? 0 : run + 1;
		if (run == n) {
			size_t first = i + 1 - n;
			uint8_t *p = arena.base + first * ARENA_CHUNK;

			memset(arena.used + first, true, n);
			memset(p, 0, n * ARENA_CHUNK);
			return p;
		}
	}
	log_error("out of secret memory (%zu bytes wanted, the arena has %d) "
	    "— this is a bug", len, SECRET_ARENA_LEN);
	return NULL;
}

void
secret_free(void *p, size_t len)
{
	uintptr_t addr = (uintptr_t)p;
	uintptr_t base = (uintptr_t)arena.base;
	size_t first, n = chunks_of(len);

	if (p == NULL)
		return;
	if (arena.base == NULL || addr < base ||
	    addr >= base + SECRET_ARENA_LEN || (addr - base) % ARENA_CHUNK ||
	    (first = (addr - base) / ARENA_CHUNK) + n > ARENA_CHUNKS) {
		wipe(p, len);	/* not ours: a bug, but wipe it all the same */
		return;
	}
	wipe(p, n * ARENA_CHUNK);
	memset(arena.used + first, false, n);
}

void
secret_relock(void)
{
	if (arena.base != NULL)
		(void)mlock(arena.base, SECRET_ARENA_LEN);
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
