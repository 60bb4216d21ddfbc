/*
 * test_secrets.c - secret hygiene where a test can see it: every way a
 * handshake ends leaves its state all zeros, the ephemeral key goes as soon
 * as its last DH is done, the _clear() functions wipe, a key file that
 * fails to parse leaves no half-decoded secret, the secret arena is locked
 * (and stays locked when one of two secrets sharing a page is freed, and
 * again after fork()), secret_free() wipes, and harden_process() turns
 * core dumps and ptrace-style access off.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keys/keyfile.h"
#include "noise/noise.h"
#include "crypto/suite.h"
#include "tap.h"
#include "helpers.h"
#include "base/util.h"

static bool
all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* True if fn() returns normally in a child process (a NULL dereference, or
 * anything else that kills it, makes this false). */
static bool
survives(void (*fn)(void))
{
	pid_t pid = fork();
	int status;

	if (pid == -1)
		return false;
	if (pid == 0) {
		fn();
		_exit(0);
	}
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0;
}

static void
start(const struct suite *suite, struct handshake_state *ini,
    struct handshake_state *res)
{
	static const uint8_t prologue[] = "SEALCAT/2 test\n";
	uint8_t priv[SUITE_PRIV_LEN], pub[SUITE_PUB_MAX];

	if (suite->keypair(priv, pub) != 0 ||
	    noise_init(ini, suite, ROLE_INITIATOR, prologue,
	    sizeof(prologue) - 1, priv, pub) != 0 ||
	    suite->keypair(priv, pub) != 0 ||
	    noise_init(res, suite, ROLE_RESPONDER, prologue,
	    sizeof(prologue) - 1, priv, pub) != 0) {
		printf("Bail out! cannot set up a handshake\n");
		exit(1);
	}
	wipe(priv, sizeof(priv));
}

/* Writes message i with w and reads it with r.  True if both worked. */
static bool
step(struct handshake_state *w, struct handshake_state *r, uint8_t *msg,
    size_t *len)
{
	return noise_write_message(w, NULL, 0, msg, NOISE_MSG_MAX, len) == 0 &&
	    noise_read_message(r, msg, *len, NULL, 0, NULL) == 0;
}

static void
test_handshake(const struct suite *suite)
{
	static uint8_t msg[NOISE_MSG_MAX];
	struct handshake_state ini, res;
	struct cipher_state is, ir, rs, rr;
	size_t len;
	bool good;

	start(suite, &ini, &res);
	good = step(&ini, &res, msg, &len);
	ok(good && !all_zero(ini.e_priv, sizeof(ini.e_priv)),
	    "%s: after message 1 the initiator keeps its ephemeral key (ee "
	    "and es are to come)", suite->name);
	good = good && step(&res, &ini, msg, &len);
	ok(good && all_zero(ini.e_priv, sizeof(ini.e_priv)),
	    "%s: the initiator's ephemeral key is wiped once message 2 is "
	    "read (its last DH)", suite->name);
	ok(good && !all_zero(res.e_priv, sizeof(res.e_priv)),
	    "%s: the responder keeps its ephemeral key for se",
	    suite->name);
	good = good && step(&ini, &res, msg, &len);
	ok(good && all_zero(res.e_priv, sizeof(res.e_priv)),
	    "%s: the responder's ephemeral key is wiped once message 3 is "
	    "read (its last DH)", suite->name);
	good = good && noise_split(&ini, &is, &ir, NULL) == 0 &&
	    noise_split(&res, &rs, &rr, NULL) == 0;
	ok(good && all_zero(&ini, sizeof(ini)) && all_zero(&res, sizeof(res)),
	    "%s: noise_split() leaves both handshake states all zeros",
	    suite->name);
	ok(is.has_key && !all_zero(is.k, sizeof(is.k)),
	    "%s: (the split did produce keys)", suite->name);
	cipher_state_clear(&is);
	cipher_state_clear(&ir);
	ok(all_zero(&is, sizeof(is)) && all_zero(&ir, sizeof(ir)),
	    "%s: cipher_state_clear() leaves all zeros", suite->name);
	cipher_state_clear(&rs);
	cipher_state_clear(&rr);
}

static void
clear_null(void)
{
	handshake_clear(NULL);
	cipher_state_clear(NULL);
}

static void
test_failed_handshake(const struct suite *suite)
{
	static uint8_t msg[NOISE_MSG_MAX];
	struct handshake_state ini, res;
	size_t len = 0;

	/* A bit flipped in the encrypted static key of message 2. */
	start(suite, &ini, &res);
	(void)step(&ini, &res, msg, &len);
	(void)noise_write_message(&res, NULL, 0, msg, sizeof(msg), &len);
	msg[suite->pub_len + 3] ^= 0x01;
	ok(noise_read_message(&ini, msg, len, NULL, 0, NULL) == -1 &&
	    all_zero(&ini, sizeof(ini)),
	    "%s: a message that fails to verify leaves the state all zeros",
	    suite->name);
	handshake_clear(&res);

	/* A message too short to hold its keys. */
	start(suite, &ini, &res);
	(void)noise_write_message(&ini, NULL, 0, msg, sizeof(msg), &len);
	ok(noise_read_message(&res, msg, len - 1, NULL, 0, NULL) == -1 &&
	    all_zero(&res, sizeof(res)),
	    "%s: a short message leaves the state all zeros", suite->name);

	/* Writing out of turn. */
	ok(noise_write_message(&ini, NULL, 0, msg, sizeof(msg), &len) == -1 &&
	    all_zero(&ini, sizeof(ini)),
	    "%s: writing out of turn leaves the state all zeros",
	    suite->name);

	/* Given up half-way by the caller. */
	start(suite, &ini, &res);
	handshake_clear(&ini);
	ok(all_zero(&ini, sizeof(ini)),
	    "%s: handshake_clear() leaves all zeros", suite->name);
	handshake_clear(&res);
	ok(survives(clear_null), "%s: handshake_clear(NULL) and "
	    "cipher_state_clear(NULL) do nothing (a child process calling "
	    "them exits normally)", suite->name);
}

static void
test_identity(void)
{
	struct identity id, other;
	char text[KEYFILE_MAX];
	char small[40];
	size_t len;
	char *line3;

	if (identity_generate(&suite_x25519, &id) != 0 ||
	    identity_generate(&suite_x25519, &other) != 0 ||
	    keyfile_format(&id, text, sizeof(text), &len) != 0) {
		printf("Bail out! cannot make an identity\n");
		exit(1);
	}
	/* Line 3 from another key: line 2 has been decoded by the time the
	 * mismatch is found. */
	line3 = strstr(text, "public ");
	if (line3 == NULL ||
	    token_format(other.suite, other.pub, line3 + 7,
	    sizeof(text) - (size_t)(line3 + 7 - text)) != 0) {
		printf("Bail out! cannot build a bad key file\n");
		exit(1);
	}
	memset(&other, 0xa5, sizeof(other));
	ok(keyfile_parse(text, strlen(text), "test", &other) == -1 &&
	    other.suite == NULL && all_zero(other.priv, sizeof(other.priv)) &&
	    all_zero(other.pub, sizeof(other.pub)),
	    "keyfile_parse: a file refused after its secret was decoded "
	    "leaves the identity zeroed");
	memset(small, 0xa5, sizeof(small));
	ok(keyfile_format(&id, small, sizeof(small), &len) == -1 &&
	    all_zero(small, sizeof(small)),
	    "keyfile_format: a buffer too small is wiped, not left with "
	    "part of the secret");
	identity_clear(&id);
	ok(id.suite == NULL && all_zero(id.priv, sizeof(id.priv)) &&
	    all_zero(id.pub, sizeof(id.pub)),
	    "identity_clear() wipes the key pair");
	identity_clear(NULL);
	wipe(text, sizeof(text));
}

/* AddressSanitizer intercepts mlock() and does nothing. */
static bool
under_asan(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return true;
#else
	return false;
#endif
#else
	return false;
#endif
}

/*
 * What /proc/self/smaps says about the mapping that holds p: its name (the
 * end of its first line), Size and Locked in kB, and whether VmFlags has
 * "lo" (VM_LOCKED).  Returns false if no mapping holds p.
 */
struct mapping {
	char name[256];
	long size_kb;
	long locked_kb;
	bool vm_locked;
};

static bool
mapping_of(const void *p, struct mapping *m)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long lo, hi, addr = (unsigned long)p;
	bool in = false, found = false;
	char line[512];
	int name_at;

	memset(m, 0, sizeof(*m));
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		name_at = 0;
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi,
		    &name_at) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = addr >= lo && addr < hi;
			if (in) {
				found = true;
				snprintf(m->name, sizeof(m->name), "%s",
				    line + name_at);
				m->name[strcspn(m->name, "\n")] = '\0';
			}
		} else if (in) {
			(void)sscanf(line, "Size: %ld kB", &m->size_kb);
			(void)sscanf(line, "Locked: %ld kB", &m->locked_kb);
			if (strncmp(line, "VmFlags:", 8) == 0) {
				m->vm_locked = strstr(line, " lo") != NULL;
				break;
			}
		}
	}
	fclose(f);
	return found;
}

/* Every page of the mapping holding p is locked and resident. */
static bool
all_locked(const void *p)
{
	struct mapping m;

	return mapping_of(p, &m) && m.vm_locked && m.size_kb > 0 &&
	    m.locked_kb == m.size_kb;
}

/* Why locking cannot be checked here, or NULL. */
static const char *
lock_skip(size_t len)
{
	struct rlimit lim;

	if (under_asan())
		return "AddressSanitizer turns mlock() into a no-op";
	if (geteuid() != 0 && getrlimit(RLIMIT_MEMLOCK, &lim) == 0 &&
	    lim.rlim_cur < len)
		return "RLIMIT_MEMLOCK is too low here: sealcat goes on "
		    "without locking";
	return NULL;
}

static bool
all_value(const uint8_t *p, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* In a child: the arena is not locked after fork(), and is after
 * secret_relock().  Exits 0 when both hold. */
static void
relock_in_child(const uint8_t *p)
{
	struct mapping m;
	bool unlocked;

	unlocked = mapping_of(p, &m) && !m.vm_locked;
	secret_relock();
	_exit(unlocked && all_locked(p) ? 0 : 1);
}

static void
free_null(void)
{
	secret_free(NULL, 100);
}

static void
unmap_null(void)
{
	secret_unmap(NULL, 100);
}

static void
test_arena(void)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	const char *skip = lock_skip(SECRET_ARENA_LEN);
	uint8_t *a, *b, *c;
	struct mapping m;
	bool found;
	pid_t pid;
	int status;

	a = secret_alloc(100);
	b = secret_alloc(100);
	ok(a != NULL && b != NULL, "secret_alloc() gives two secrets");
	if (a == NULL || b == NULL)
		return;
	ok((uintptr_t)a / page == (uintptr_t)b / page,
	    "the two secrets share a page");
	ok((uintptr_t)a % 64 == 0 && (uintptr_t)b % 64 == 0 && b >= a + 100,
	    "they are aligned and do not overlap");
	ok(all_zero(a, 100) && all_zero(b, 100), "they start zeroed");
	found = mapping_of(a, &m);
	ok(found &&
	    strcmp(m.name, "/memfd:sealcat-secrets (deleted)") == 0 &&
	    m.size_kb * 1024 == SECRET_ARENA_LEN,
	    "the arena is its own mapping, named sealcat-secrets, %d bytes "
	    "(smaps: '%s', %ld kB)", SECRET_ARENA_LEN, m.name, m.size_kb);
	memset(a, 0x5a, 100);
	memset(b, 0xa5, 100);
	if (skip != NULL)
		ok(true, "the arena is locked # SKIP %s", skip);
	else
		ok(all_locked(b), "the arena is locked, every page (smaps: "
		    "VmFlags lo, Locked %ld of %ld kB)", m.locked_kb,
		    m.size_kb);
	secret_free(a, 100);
	ok(all_zero(a, 128), "secret_free() wipes (all of its chunks)");
	ok(all_value(b, 100, 0xa5), "secret_free() leaves the other secret "
	    "alone");
	if (skip != NULL)
		ok(true, "the page of the other secret stays locked # SKIP %s",
		    skip);
	else
		ok(all_locked(b), "freeing one of two secrets that share a "
		    "page leaves that page locked (smaps: VmFlags lo, Locked "
		    "== Size)");
	c = secret_alloc(64);
	ok(c == a, "freed space is used again");
	secret_free(c, 64);
	capture_begin();
	c = secret_alloc(SECRET_ARENA_LEN + 1);
	capture_end();
	ok(c == NULL && captured_line_has("out of secret memory", NULL),
	    "a secret larger than the arena is refused with one line");
	if (skip != NULL)
		ok(true, "secret_relock() locks a forked child's arena # SKIP "
		    "%s", skip);
	else if ((pid = fork()) == 0)
		relock_in_child(b);
	else
		ok(pid > 0 && waitpid(pid, &status, 0) == pid &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "fork() leaves a child's arena unlocked; secret_relock() "
		    "locks it");
	secret_free(b, 100);
	ok(survives(free_null), "secret_free(NULL) does nothing");
}

/* Pages of [p, p + pages * page) that are resident, as a bit mask. */
static unsigned long
resident_mask(const uint8_t *p, size_t pages, size_t page)
{
	unsigned char vec[32];
	unsigned long mask = 0;

	if (pages > sizeof(vec) || mincore((void *)p, pages * page, vec) == -1)
		return ~0UL;
	for (size_t i = 0; i < pages; i++)
		if (vec[i] & 1)
			mask |= 1UL << i;
	return mask;
}

/* "lf" (VM_LOCKONFAULT) among the VmFlags of the mapping holding p. */
static bool
locked_on_fault(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long lo, hi, addr = (unsigned long)p;
	bool in = false, found = false;
	char line[512];

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			in = addr >= lo && addr < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			found = strstr(line, " lf") != NULL;
			break;
		}
	}
	fclose(f);
	return found;
}

static void
test_secret_map(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = 4 * page + 1;	/* five pages, the last one barely */
	uint8_t *p = secret_map(len);
	struct rlimit lim;
	unsigned long mask;

	ok(p != NULL, "secret_map() maps %zu bytes", len);
	if (p == NULL)
		return;
	mask = resident_mask(p, 5, page);
	ok(mask == 0, "secret_map() populates nothing up front (resident "
	    "pages %#lx)", mask);
	if (getrlimit(RLIMIT_MEMLOCK, &lim) == 0 && lim.rlim_cur < len &&
	    geteuid() != 0)
		ok(true, "secret_map() locks on fault # SKIP RLIMIT_MEMLOCK "
		    "is below %zu bytes here: secret_map() goes on silently",
		    len);
	else
		ok(locked_on_fault(p), "secret_map() locks pages as they are "
		    "touched (VmFlags lf)");
	memset(p + 1 * page + 7, 0xa5, 100);
	p[4 * page] = 0x5a;
	secret_wipe(p, len);
	ok(all_zero(p + page, page) && p[4 * page] == 0,
	    "secret_wipe() zeroes the touched pages");
	mask = resident_mask(p, 5, page);
	ok(mask == 0x12, "secret_wipe() leaves untouched pages alone "
	    "(resident pages %#lx, want 0x12)", mask);
	secret_unmap(p, len);
	ok(mincore(p, len, (unsigned char[8]){ 0 }) == -1 && errno == ENOMEM,
	    "secret_unmap() unmaps all of it (mincore: ENOMEM)");
	ok(survives(unmap_null), "secret_unmap(NULL) does nothing");
}

static void
test_harden_process(void)
{
	struct rlimit core = { 1, 1 };

	harden_process();
	ok(getrlimit(RLIMIT_CORE, &core) == 0 && core.rlim_cur == 0 &&
	    core.rlim_max == 0,
	    "harden_process(): core dumps are off (RLIMIT_CORE 0, soft and "
	    "hard)");
	ok(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0,
	    "harden_process(): the process is not dumpable");
}

int
main(void)
{
	if (suite_init() != 0) {
		printf("Bail out! suite_init failed\n");
		return 1;
	}
	test_handshake(&suite_x25519);
	test_handshake(&suite_p256);
	test_failed_handshake(&suite_x25519);
	test_failed_handshake(&suite_p256);
	test_identity();
	test_arena();
	test_secret_map();
	test_harden_process();
	return tap_done();
}
