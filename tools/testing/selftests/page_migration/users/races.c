// SPDX-License-Identifier: GPL-2.0
/*
 * The race matrix: each migration caller runs for a bounded time against
 * each operation that changes what it migrates, and every byte is then
 * checked.
 *
 * A pair is a child process holding a 16 MiB region of eight 2 MiB
 * chunks, each filled with a pattern of its own and a generation. Its
 * main thread, the operator, applies the operation to one chunk after
 * another: it checks what the operation must leave (the old pattern, or
 * zeroes), writes the next generation, and moves on. A second thread,
 * the caller, keeps migrating the region between two nodes. When the
 * time is up every chunk must hold its last generation.
 *
 * The callers: move_pages(2) and mbind(MPOL_MF_MOVE_ALL) and
 * migrate_pages(2) on the region, compaction of each node in turn, and
 * NUMA balancing (the operator's CPUs flip between the nodes). Where an
 * operation puts new pages in place (a refault, a COW), pages moved are
 * counted only in chunks it did not touch meanwhile. Each TAP line
 * gives the operations done, the pages the caller moved, and the
 * operation's own effect (THPs split, pages swapped out, KSM merges,
 * userfaults, children), so a pair that did nothing fails.
 *
 * Usage: races [GLOB...] (caller.operation names); PM_RACE_SECONDS sets
 * the time of a pair (default 2; NUMA balancing pairs get twice that);
 * a pair whose caller has not finished RACE_MIN_CALLS calls, or has no
 * move to count, by then runs on, up to race_limit(), its operator
 * waiting for each new call until a move counts.
 * Once the file PM_RACE_STOP_FILE names exists (make soak's end), the
 * pairs left are skipped.
 */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <linux/falloc.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/swap.h>
#include <time.h>

#include "../../kselftest.h"
#include "users_util.h"

#define CHUNK		(2UL << 20)
#define NCHUNK		8
#define LEN		(NCHUNK * CHUNK)
#define RAMDEV		"/dev/ram0"
#define ZRAM		"/sys/block/zram0"
#define KSM		"/sys/kernel/mm/ksm/"
#define NB		"/proc/sys/kernel/numa_balancing"
#define NBDBG		"/sys/kernel/debug/sched/numa_balancing/"

enum backing { ANON, SHMEM, EXT4 };

struct race;

/* What changes the mapping: step() works on chunk c, 0 or -1. */
struct race_op {
	const char *name;
	enum backing backing;
	const char *effect;		/* what res->effect counts */
	int need;			/* NEED_* the pair cannot do without */
	int holes;			/* leaves holes in the region for a while */
	int refaults;			/* puts new pages in place of old ones: */
#define WHOLE	1			/* anywhere in the chunk it is on */
#define MARKS	2			/* just where it marks (race_busy) */
	int (*setup)(struct race *r);
	int (*step)(struct race *r, int c);
	void (*teardown)(struct race *r);
};

/* What migrates: run() is the caller's thread, until r->stop. */
struct race_caller {
	const char *name;
	int slow;			/* pairs get twice the time */
	int no_thp;			/* moves no page of a THP */
	int need;
	void *(*run)(void *arg);
};

#define NEED_EXT4	1
#define NEED_SWAP	2
#define NEED_NB		4
#define NEED_KSM	8

/* A pair's results, in memory shared with the parent. */
struct race_result {
	unsigned long ops, calls, moved, effect, bad_bytes;
	unsigned long errors;
	double seconds;		/* how long the race ran */
	/* The last call's pages, by what became of them: race_moved(). */
	struct race_last {
		unsigned long moved, before, other, err, replaced;
		int err_no;	/* the errno of the last of err */
	} last;
	char why[320];
};

struct race {
	const struct race_op *op;
	const struct race_caller *caller;
	struct race_result *res;
	char *buf, *scratch;
	int fd, uffd;
	size_t psz;
	unsigned long npages;
	int n0, n1;
	const char *dir;
	unsigned int gen[NCHUNK];
	unsigned int visits[NCHUNK];
	unsigned int *seq;		/* per page: odd while it may be replaced */
	int away;			/* the chunk mremap has at scratch, or -1 */
	size_t period;			/* pattern repeats every period bytes */
	int ready, stop, uffd_stop;	/* read and written with race_get/set */
	pid_t other;			/* a child the callers move too */
	pid_t op_tid;
	pthread_t uffd_thread;
	char *page;			/* the userfault handler's source page */
	unsigned char *want, *zero;	/* the operator's expected page, zeroes */
};

static struct {
	pid_t pair;			/* the pair running now */
	int n0, n1;
	char dir[64];			/* ext4 on RAMDEV, or "" */
	int swap_on;
	long ksm_saved[3], nb_saved[5];
} env;

static const char * const ksm_knobs[] = { KSM "run", KSM "pages_to_scan",
					  KSM "sleep_millisecs" };
static const long ksm_fast[] = { 1, 2048, 20 };
static const char * const nb_knobs[] = { NB, NBDBG "scan_delay_ms",
					 NBDBG "scan_period_min_ms",
					 NBDBG "scan_period_max_ms",
					 NBDBG "scan_size_mb" };
static const long nb_fast[] = { 1, 50, 100, 400, 64 };

/* The flags the threads of a pair share. */
#define race_get(x)	__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define race_set(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define race_inc(x)	__atomic_add_fetch(&(x), 1, __ATOMIC_RELEASE)

static void race_fail(struct race *r, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&r->res->errors, 1, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	vsnprintf(r->res->why, sizeof(r->res->why), fmt, ap);
	va_end(ap);
}

/* ---- the pattern: chunk c at generation g ---- */

static unsigned long race_seed(int c, unsigned int g)
{
	return (c + 1) * 7919UL + g * 104729UL;
}

/*
 * Each page starts with a stamp of its chunk, generation and index, so
 * that a page mapped in the wrong place or left from an older
 * generation shows; the rest is a pattern of the same. Under KSM every
 * page of a chunk is alike (period), so that they merge.
 */
static void race_page(struct race *r, int c, size_t off, unsigned char *out)
{
	unsigned long pg = r->period ? 0 : off / r->psz;
	unsigned int g = race_get(r->gen[c]);
	uint64_t stamp = (uint64_t)g << 32 | (uint64_t)c << 24 | pg;
	unsigned long seed = race_seed(c, g) + pg * 977;
	size_t in;

	memcpy(out, &stamp, sizeof(stamp));
	for (in = sizeof(stamp); in < r->psz; in++)
		out[in] = pm_byte(seed, in);
}

/*
 * Mark the pages [lo, hi) of chunk c as being replaced, or done: a
 * caller counts a page as moved only if its mark stayed even and the
 * same over the call.
 */
static void race_busy(struct race *r, int c, size_t lo, size_t hi)
{
	unsigned long i = (c * CHUNK + lo) / r->psz, end = (c * CHUNK + hi) / r->psz;

	for (; i < end; i++)
		race_set(r->seq[i], r->seq[i] + 1);
}

/* Where the operator sees chunk c now. */
static char *chunk(struct race *r, int c)
{
	return c == r->away ? r->scratch : r->buf + c * CHUNK;
}

/* Write chunk c's pattern over the pages [lo, hi) of it. */
static void race_fill(struct race *r, int c, size_t lo, size_t hi)
{
	char *p = chunk(r, c);
	size_t off;

	for (off = lo; off < hi; off += r->psz) {
		race_page(r, c, off, r->want);
		memcpy(p + off, r->want, r->psz);
	}
}

enum want { PATTERN, ZERO, PATTERN_OR_ZERO };

/*
 * Check the pages [lo, hi) of chunk c: the pattern, zeroes, or per page
 * either (what MADV_FREE may leave: a page is zeroes only if all of it
 * is). Bad bytes are counted; 0 or -1.
 */
static int race_check(struct race *r, int c, size_t lo, size_t hi,
		      enum want want, const char *what)
{
	const unsigned char *p = (const unsigned char *)chunk(r, c);
	unsigned long bad = 0;
	size_t off, first = 0, pg, i;

	for (pg = lo; pg < hi; pg += r->psz) {
		int zero = !memcmp(p + pg, r->zero, r->psz);

		if (want == ZERO || (want == PATTERN_OR_ZERO && zero)) {
			if (zero)
				continue;
			memset(r->want, 0, r->psz);
		} else {
			race_page(r, c, pg, r->want);
			if (!memcmp(p + pg, r->want, r->psz))
				continue;
		}
		for (i = 0; i < r->psz; i++) {
			off = pg + i;
			if (p[off] != r->want[i] && !bad++)
				first = off;
		}
	}
	if (!bad)
		return 0;
	__atomic_fetch_add(&r->res->bad_bytes, bad, __ATOMIC_RELAXED);
	race_fail(r, "%s: chunk %d gen %u: %lu bad bytes from offset %zu (0x%02x)",
		  what, c, r->gen[c], bad, first, p[first]);
	return -1;
}

/* Check that len bytes at p, outside the region, are zeroes. */
static int race_zeroes(struct race *r, const char *p, size_t len,
		       const char *what)
{
	unsigned long bad = 0;
	size_t i;

	for (i = 0; i < len; i++)
		bad += p[i] != 0;
	if (!bad)
		return 0;
	__atomic_fetch_add(&r->res->bad_bytes, bad, __ATOMIC_RELAXED);
	race_fail(r, "%s: %lu bytes not zero", what, bad);
	return -1;
}

/* The next generation of chunk c, written whole. */
static void race_renew(struct race *r, int c)
{
	race_set(r->gen[c], r->gen[c] + 1);
	race_fill(r, c, 0, CHUNK);
}

static int race_sys(struct race *r, int ret, const char *what)
{
	if (ret < 0)
		race_fail(r, "%s: %s", what, strerror(errno));
	return ret < 0 ? -1 : 0;
}

/* Map anon memory at addr exactly (the hole an unmap left). */
static int race_remap(struct race *r, char *addr, size_t len, int huge)
{
	void *p = mmap(addr, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p != addr)
		return race_sys(r, -1, "mmap at the hole");
	if (huge && madvise(addr, len, MADV_HUGEPAGE))
		return race_sys(r, -1, "MADV_HUGEPAGE");
	return 0;
}

/* ---- the operations ---- */

static int op_munmap(struct race *r, int c)
{
	if (race_sys(r, munmap(chunk(r, c), CHUNK), "munmap") ||
	    race_remap(r, chunk(r, c), CHUNK, 0))
		return -1;
	if (race_check(r, c, 0, CHUNK, ZERO, "munmap: new memory"))
		return -1;
	race_renew(r, c);
	return 0;
}

/* Give len bytes of the scratch area their PROT_NONE placeholder back. */
static int race_reserve_scratch(struct race *r, size_t len)
{
	void *p = mmap(r->scratch, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	return p == r->scratch ? 0 : race_sys(r, -1, "mmap scratch");
}

static int race_mremap(struct race *r, void *from, size_t old, size_t new,
		       void *to)
{
	void *p = mremap(from, old, new, MREMAP_MAYMOVE | MREMAP_FIXED, to);

	return p == to ? 0 : race_sys(r, -1, "mremap");
}

static int op_mremap_move(struct race *r, int c)
{
	if (race_mremap(r, chunk(r, c), CHUNK, CHUNK, r->scratch))
		return -1;
	r->away = c;
	race_check(r, c, 0, CHUNK, PATTERN, "mremap: moved away");
	r->away = -1;
	if (race_mremap(r, r->scratch, CHUNK, CHUNK, chunk(r, c)) ||
	    race_reserve_scratch(r, CHUNK))
		return -1;
	if (race_check(r, c, 0, CHUNK, PATTERN, "mremap: moved back"))
		return -1;
	race_renew(r, c);
	return 0;
}

static int op_mremap_grow(struct race *r, int c)
{
	int ret;

	if (race_mremap(r, chunk(r, c), CHUNK, 2 * CHUNK, r->scratch))
		return -1;
	r->away = c;
	ret = race_check(r, c, 0, CHUNK, PATTERN, "mremap: grown");
	/* The grown half is new memory: zeroes, then written. */
	if (!ret)
		ret = race_zeroes(r, r->scratch + CHUNK, CHUNK, "mremap: grown part");
	memset(r->scratch + CHUNK, 0x5a, CHUNK);
	r->away = -1;
	if (race_mremap(r, r->scratch, 2 * CHUNK, CHUNK, chunk(r, c)) ||
	    race_reserve_scratch(r, 2 * CHUNK))
		return -1;
	if (ret || race_check(r, c, 0, CHUNK, PATTERN, "mremap: shrunk back"))
		return -1;
	race_renew(r, c);
	return 0;
}

/*
 * fork: the child checks its copy, writes its own data over it (COW)
 * and checks that; the parent writes the next generation meanwhile.
 * exit: the child only reads, and exits while the caller moves it.
 */
static int race_child(struct race *r, int c, int write)
{
	int st, ok;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return race_sys(r, -1, "fork");
	if (pid == 0) {
		ok = race_check(r, c, 0, CHUNK, PATTERN, "child") == 0 &&
		     race_check(r, (c + 1) % NCHUNK, 0, CHUNK, PATTERN,
				"child") == 0;
		if (write) {
			race_set(r->gen[c], r->gen[c] + 1000);
			race_fill(r, c, 0, CHUNK);
			ok = ok && race_check(r, c, 0, CHUNK, PATTERN,
					      "child after COW") == 0;
		}
		_exit(ok ? 0 : 1);
	}
	race_set(r->other, pid);
	if (write)
		race_renew(r, c);
	/* Not after the reaping: the pid may be another's then. */
	race_set(r->other, 0);
	if (waitpid(pid, &st, 0) != pid)
		return race_sys(r, -1, "waitpid");
	r->res->effect++;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		race_fail(r, "child of chunk %d: status 0x%x", c, st);
		return -1;
	}
	if (!write)
		race_renew(r, c);
	return race_check(r, c, 0, CHUNK, PATTERN, "parent after COW");
}

static int op_fork(struct race *r, int c)
{
	return race_child(r, c, 1);
}

static int op_exit(struct race *r, int c)
{
	return race_child(r, c, 0);
}

static int race_madvise(struct race *r, int c, int advice, const char *what)
{
	return race_sys(r, madvise(chunk(r, c), CHUNK, advice), what);
}

static int op_dontneed(struct race *r, int c)
{
	if (race_madvise(r, c, MADV_DONTNEED, "MADV_DONTNEED") ||
	    race_check(r, c, 0, CHUNK, ZERO, "MADV_DONTNEED: refault"))
		return -1;
	race_renew(r, c);
	return 0;
}

static int op_free(struct race *r, int c)
{
	if (race_madvise(r, c, MADV_FREE, "MADV_FREE") ||
	    race_check(r, c, 0, CHUNK, PATTERN_OR_ZERO, "MADV_FREE: refault"))
		return -1;
	race_renew(r, c);
	return 0;
}

/* Pages of chunk c that pagemap shows swapped out. */
static unsigned long race_swapped(struct race *r, int c)
{
	unsigned long i, n = 0;

	for (i = 0; i < CHUNK / r->psz; i++)
		n += !!(pm_pagemap(chunk(r, c) + i * r->psz) & PM_PAGEMAP_SWAPPED);
	return n;
}

static int op_pageout(struct race *r, int c)
{
	if (race_madvise(r, c, MADV_PAGEOUT, "MADV_PAGEOUT"))
		return -1;
	r->res->effect += race_swapped(r, c);
	if (race_check(r, c, 0, CHUNK, PATTERN, "MADV_PAGEOUT: swapped in"))
		return -1;
	race_renew(r, c);
	return 0;
}

static int op_mprotect(struct race *r, int c)
{
	if (race_sys(r, mprotect(chunk(r, c), CHUNK, PROT_READ), "mprotect") ||
	    race_check(r, c, 0, CHUNK, PATTERN, "read-only") ||
	    race_sys(r, mprotect(chunk(r, c), CHUNK, PROT_NONE), "mprotect") ||
	    race_sys(r, mprotect(chunk(r, c), CHUNK, PROT_READ | PROT_WRITE),
		     "mprotect"))
		return -1;
	if (race_check(r, c, 0, CHUNK, PATTERN, "writable again"))
		return -1;
	race_renew(r, c);
	return 0;
}

static int op_mlock(struct race *r, int c)
{
	if (race_sys(r, mlock(chunk(r, c), CHUNK), "mlock") ||
	    race_check(r, c, 0, CHUNK, PATTERN, "mlocked") ||
	    race_sys(r, munlock(chunk(r, c), CHUNK), "munlock"))
		return -1;
	race_renew(r, c);
	return 0;
}

static int thp_setup(struct race *r)
{
	return race_sys(r, madvise(r->buf, LEN, MADV_HUGEPAGE), "MADV_HUGEPAGE");
}

/*
 * Even visits unmap one page inside the chunk's THP (the PMD splits) and
 * map it again; odd visits give the chunk a fresh THP.
 */
static int op_thp_split(struct race *r, int c)
{
	unsigned int v = r->visits[c]++;
	size_t off = (1 + (v * 37) % (CHUNK / r->psz - 1)) * r->psz;
	uint64_t flags = 0;

	if (v & 1) {
		if (race_sys(r, munmap(chunk(r, c), CHUNK), "munmap") ||
		    race_remap(r, chunk(r, c), CHUNK, 1))
			return -1;
		race_renew(r, c);
		return 0;
	}
	if (pm_kpageflags_touch(chunk(r, c), &flags) == 0 &&
	    (flags & PM_KPF(KPF_THP)))
		r->res->effect++;
	if (race_sys(r, munmap(chunk(r, c) + off, r->psz), "munmap a page") ||
	    race_check(r, c, 0, off, PATTERN, "split THP") ||
	    race_check(r, c, off + r->psz, CHUNK, PATTERN, "split THP") ||
	    race_remap(r, chunk(r, c) + off, r->psz, 1))
		return -1;
	race_fill(r, c, off, off + r->psz);
	return race_check(r, c, 0, CHUNK, PATTERN, "split THP refilled");
}

/* The last chunk's file is cut at a page inside it and grown back. */
static int op_truncate(struct race *r, int c)
{
	int last = NCHUNK - 1;
	size_t keep = (r->visits[last]++ * 67) % (CHUNK / r->psz) * r->psz;

	(void)c;
	race_busy(r, last, keep, CHUNK);
	if (race_sys(r, ftruncate(r->fd, last * CHUNK + keep), "ftruncate") ||
	    race_check(r, last, 0, keep, PATTERN, "truncated: kept") ||
	    race_sys(r, ftruncate(r->fd, LEN), "ftruncate back") ||
	    race_check(r, last, keep, CHUNK, ZERO, "truncated: regrown"))
		return -1;
	race_renew(r, last);
	race_busy(r, last, keep, CHUNK);
	return 0;
}

static int op_punch(struct race *r, int c)
{
	unsigned int v = r->visits[c]++;
	size_t lo = (v * 29) % (CHUNK / r->psz / 2) * r->psz;
	size_t hi = lo + (1 + v % 64) * r->psz;

	race_busy(r, c, lo, hi);
	if (race_sys(r, fallocate(r->fd, FALLOC_FL_PUNCH_HOLE |
				  FALLOC_FL_KEEP_SIZE, c * CHUNK + lo, hi - lo),
		     "punch a hole") ||
	    race_check(r, c, 0, lo, PATTERN, "punched: before") ||
	    race_check(r, c, lo, hi, ZERO, "punched: hole") ||
	    race_check(r, c, hi, CHUNK, PATTERN, "punched: after"))
		return -1;
	race_renew(r, c);
	race_busy(r, c, lo, hi);
	return 0;
}

/* Every page of a chunk alike, so that KSM merges them. */
static int ksm_setup(struct race *r)
{
	r->period = r->psz;
	return race_sys(r, madvise(r->buf, LEN, MADV_MERGEABLE), "MADV_MERGEABLE");
}

static int op_ksm(struct race *r, int c)
{
	unsigned int v = r->visits[c]++;

	if (v % 4 == 3 &&
	    (race_madvise(r, c, MADV_UNMERGEABLE, "MADV_UNMERGEABLE") ||
	     race_check(r, c, 0, CHUNK, PATTERN, "unmerged") ||
	     race_madvise(r, c, MADV_MERGEABLE, "MADV_MERGEABLE")))
		return -1;
	usleep(20000);
	if (pm_read_long("/proc/self/ksm_merging_pages") > 0)
		r->res->effect++;
	if (race_check(r, c, 0, CHUNK, PATTERN, "merged"))
		return -1;
	race_renew(r, c);
	return 0;
}

/* Resolve missing-page faults with the expected pattern. */
static void *uffd_handler(void *arg)
{
	struct race *r = arg;
	struct pollfd pfd = { .fd = r->uffd, .events = POLLIN };
	struct uffd_msg msg;
	struct uffdio_copy copy;
	size_t at;
	int c;

	while (!race_get(r->uffd_stop)) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (read(r->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
		    msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		at = (msg.arg.pagefault.address & ~(r->psz - 1)) -
		     (unsigned long)r->buf;
		c = at / CHUNK;
		race_page(r, c, at % CHUNK, (unsigned char *)r->page);
		copy = (struct uffdio_copy) {
			.dst = (unsigned long)r->buf + at,
			.src = (unsigned long)r->page, .len = r->psz,
		};
		if (ioctl(r->uffd, UFFDIO_COPY, &copy) && errno != EEXIST)
			race_fail(r, "UFFDIO_COPY: %s", strerror(errno));
		else
			r->res->effect++;
	}
	return NULL;
}

static int uffd_setup(struct race *r)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)r->buf, .len = LEN },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	r->page = aligned_alloc(r->psz, r->psz);
	r->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (!r->page || r->uffd < 0)
		return race_sys(r, -1, "userfaultfd");
	if (race_sys(r, ioctl(r->uffd, UFFDIO_API, &api), "UFFDIO_API") ||
	    race_sys(r, ioctl(r->uffd, UFFDIO_REGISTER, &reg), "UFFDIO_REGISTER"))
		return -1;
	if (pthread_create(&r->uffd_thread, NULL, uffd_handler, r)) {
		race_fail(r, "pthread_create");
		return -1;
	}
	return 0;
}

static void uffd_teardown(struct race *r)
{
	race_set(r->uffd_stop, 1);
	pthread_join(r->uffd_thread, NULL);
	close(r->uffd);
}

/* Drop the chunk; reading it back takes userfaults for every page. */
static int op_uffd(struct race *r, int c)
{
	if (race_madvise(r, c, MADV_DONTNEED, "MADV_DONTNEED"))
		return -1;
	race_set(r->gen[c], r->gen[c] + 1);
	return race_check(r, c, 0, CHUNK, PATTERN, "userfault");
}

static const struct race_op ops[] = {
	{ "munmap", ANON, NULL, 0, 1, 1, NULL, op_munmap, NULL },
	{ "mremap_move", ANON, NULL, 0, 1, 0, NULL, op_mremap_move, NULL },
	{ "mremap_grow", ANON, NULL, 0, 1, 0, NULL, op_mremap_grow, NULL },
	{ "fork_cow", ANON, "children", 0, 0, 1, NULL, op_fork, NULL },
	{ "exit", ANON, "children", 0, 0, 1, NULL, op_exit, NULL },
	{ "dontneed", ANON, NULL, 0, 0, 1, NULL, op_dontneed, NULL },
	{ "free", ANON, NULL, 0, 0, 0, NULL, op_free, NULL },
	{ "pageout", ANON, "swapped", NEED_SWAP, 0, 1, NULL, op_pageout, NULL },
	{ "mprotect", ANON, NULL, 0, 0, 0, NULL, op_mprotect, NULL },
	{ "thp_split", ANON, "thp_split", 0, 1, 1, thp_setup, op_thp_split, NULL },
	{ "shmem_truncate", SHMEM, NULL, 0, 0, MARKS, NULL, op_truncate, NULL },
	{ "shmem_punch", SHMEM, NULL, 0, 0, MARKS, NULL, op_punch, NULL },
	{ "ext4_truncate", EXT4, NULL, NEED_EXT4, 0, MARKS, NULL, op_truncate, NULL },
	{ "ext4_punch", EXT4, NULL, NEED_EXT4, 0, MARKS, NULL, op_punch, NULL },
	{ "ksm", ANON, "ksm_merged", NEED_KSM, 0, 1, ksm_setup, op_ksm, NULL },
	{ "userfaultfd", ANON, "userfaults", 0, 0, 1, uffd_setup, op_uffd,
	  uffd_teardown },
	{ "mlock", ANON, NULL, 0, 0, 0, NULL, op_mlock, NULL },
};

/* ---- the callers ---- */

static int race_target(struct race *r, unsigned long i)
{
	return i & 1 ? r->n0 : r->n1;
}

/* The process a call works on: now and then the child, when there is one. */
static pid_t race_pid(struct race *r, unsigned long i)
{
	pid_t other = race_get(r->other);

	return (i & 2) && other ? other : 0;
}

/* Did a call on pid fail because pid, a child, is exiting or gone? */
static int race_gone(pid_t pid)
{
	return pid && (errno == ESRCH || errno == EINVAL);
}

/* A status move_pages() never gives: the kernel left the slot alone. */
#define UNSET	0x7fffffff

/* What a caller keeps between its calls. */
struct race_call {
	void **pages;
	int *nodes, *before, *after;
	uint64_t *pfn0, *pfn1;
	unsigned int *s0, *s1;
	int pagemap;
};

static int race_call_init(struct race *r, struct race_call *k)
{
	unsigned long i;

	k->pages = calloc(r->npages, sizeof(*k->pages));
	k->nodes = calloc(r->npages, sizeof(int));
	k->before = calloc(r->npages, sizeof(int));
	k->after = calloc(r->npages, sizeof(int));
	k->pfn0 = calloc(r->npages, sizeof(uint64_t));
	k->pfn1 = calloc(r->npages, sizeof(uint64_t));
	k->s0 = calloc(r->npages, sizeof(unsigned int));
	k->s1 = calloc(r->npages, sizeof(unsigned int));
	k->pagemap = open("/proc/self/pagemap", O_RDONLY);
	pm_vmstat("pgmigrate_success");	/* this thread's malloc arena */
	if (!k->pages || !k->nodes || !k->before || !k->after || !k->pfn0 ||
	    !k->pfn1 || !k->s0 || !k->s1 || k->pagemap < 0) {
		race_fail(r, "caller set-up: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < r->npages; i++)
		k->pages[i] = r->buf + i * r->psz;
	return 0;
}

static void race_call_free(struct race_call *k)
{
	free(k->pages);
	free(k->nodes);
	free(k->before);
	free(k->after);
	free(k->pfn0);
	free(k->pfn1);
	free(k->s0);
	free(k->s1);
	if (k->pagemap >= 0)
		close(k->pagemap);
}

static void race_seqs(struct race *r, unsigned int *seq)
{
	unsigned long i;

	for (i = 0; i < r->npages; i++)
		seq[i] = race_get(r->seq[i]);
}

/*
 * Can page i, if it changed place between the two snapshots, only have
 * been moved? Not if an operation that puts new pages in place of old
 * ones (a refault, a COW) was on it meanwhile.
 */
static int race_still(struct race *r, struct race_call *k, unsigned long i)
{
	return !r->op->refaults || (!(k->s0[i] & 1) && k->s0[i] == k->s1[i]);
}

/*
 * Pages a call moved to node: somewhere else before it and on node
 * after it, where race_still() says only a move can have done that.
 */
static unsigned long race_moved(struct race *r, struct race_call *k, int node)
{
	struct race_last *last = &r->res->last;
	unsigned long i;

	memset(last, 0, sizeof(*last));
	for (i = 0; i < r->npages; i++) {
		if (!race_still(r, k, i)) {
			last->replaced++;
		} else if (k->after[i] < 0) {
			last->err++;
			last->err_no = -k->after[i];
		} else if (k->after[i] != node) {
			last->other++;
		} else if (k->before[i] >= 0 && k->before[i] != node) {
			last->moved++;
		} else {
			last->before++;
		}
	}
	return last->moved;
}

/* Where the region's pages of pid are (a move_pages() query): 0 or -1. */
static int race_where(struct race *r, struct race_call *k, pid_t pid, int *where)
{
	return move_pages(pid, r->npages, k->pages, NULL, where, 0) ? -1 : 0;
}

/* Check the statuses of a move; UNSET ones become -ENOENT. */
static void race_statuses(struct race *r, int *status)
{
	unsigned long i;

	for (i = 0; i < r->npages; i++) {
		if (status[i] == UNSET)
			status[i] = -ENOENT;
		else if (!(status[i] >= 0 && status[i] < PM_MAX_NODES) &&
			 !(status[i] < 0 && status[i] >= -4095))
			race_fail(r, "move_pages: status %d", status[i]);
	}
}

static void *call_move_pages(void *arg)
{
	struct race *r = arg;
	struct race_call k;
	unsigned long i, j;
	long ret;

	ret = race_call_init(r, &k);
	race_set(r->ready, 1);
	for (i = 0; !ret && !race_get(r->stop); i++) {
		int node = race_target(r, i);
		pid_t pid = race_pid(r, i);

		race_seqs(r, k.s0);
		if (race_where(r, &k, pid, k.before))
			continue;
		for (j = 0; j < r->npages; j++) {
			k.nodes[j] = node;
			k.after[j] = UNSET;
		}
		race_inc(r->res->calls);
		if (move_pages(pid, r->npages, k.pages, k.nodes, k.after,
			       MPOL_MF_MOVE_ALL) < 0) {
			if (!race_gone(pid))
				race_fail(r, "move_pages: %s", strerror(errno));
			continue;
		}
		race_seqs(r, k.s1);
		race_statuses(r, k.after);
		r->res->moved += race_moved(r, &k, node);
	}
	race_call_free(&k);
	return NULL;
}

/*
 * mbind(2) of the region to node.  Over an operation that leaves holes,
 * one chunk at a time: a hole is EFAULT, before anything moves, to the
 * whole call, and a slow operator can keep one open most of the time.
 */
static long race_mbind(struct race *r, int node)
{
	unsigned long to = 1UL << node;
	int c, err = 0;

	if (!r->op->holes)
		return mbind(r->buf, LEN, MPOL_BIND, &to, PM_MAX_NODES,
			     MPOL_MF_MOVE_ALL);
	for (c = 0; c < NCHUNK; c++)
		if (mbind(chunk(r, c), CHUNK, MPOL_BIND, &to, PM_MAX_NODES,
			  MPOL_MF_MOVE_ALL) && errno != EFAULT)
			err = errno;
	errno = err;
	return err ? -1 : 0;
}

/* mbind(2) (this process) and migrate_pages(2) (this one or the child). */
static void *call_node_mask(struct race *r, int mbind_it)
{
	struct race_call k;
	unsigned long i, from, to;
	long ret;

	ret = race_call_init(r, &k);
	race_set(r->ready, 1);
	for (i = 0; !ret && !race_get(r->stop); i++) {
		int node = race_target(r, i);
		pid_t pid = mbind_it ? 0 : race_pid(r, i);

		to = 1UL << node;
		from = 1UL << race_target(r, i + 1);
		race_seqs(r, k.s0);
		if (race_where(r, &k, pid, k.before))
			continue;
		race_inc(r->res->calls);
		if (mbind_it)
			ret = race_mbind(r, node);
		else
			ret = migrate_pages(pid, PM_MAX_NODES, &from, &to);
		/* race_mbind() has let a hole's EFAULT pass already. */
		if (ret < 0 && !race_gone(pid))
			race_fail(r, "%s: %s", mbind_it ? "mbind" : "migrate_pages",
				  strerror(errno));
		ret = 0;
		if (race_where(r, &k, pid, k.after))
			continue;
		race_seqs(r, k.s1);
		r->res->moved += race_moved(r, &k, node);
	}
	race_call_free(&k);
	return NULL;
}

static void *call_mbind(void *arg)
{
	return call_node_mask(arg, 1);
}

static void *call_migrate_pages(void *arg)
{
	return call_node_mask(arg, 0);
}

/* The frames of the region's pages (0: none mapped): 0 or -1. */
static int race_frames(struct race *r, struct race_call *k, uint64_t *pfn)
{
	size_t len = r->npages * sizeof(*pfn);
	unsigned long i;

	if (pread(k->pagemap, pfn, len, (uintptr_t)r->buf / r->psz * sizeof(*pfn)) !=
	    (ssize_t)len)
		return -1;
	for (i = 0; i < r->npages; i++)
		pfn[i] = pfn[i] & PM_PAGEMAP_PRESENT ? pfn[i] & PM_PAGEMAP_PFN : 0;
	return 0;
}

/*
 * Compaction of one node after the other. Before each run the region is
 * moved to the node about to be compacted: its new frames come from the
 * free pages the last run left low in the zone, where this run's
 * migrate scanner takes them from. Moved counts the region's pages
 * whose frame changed over the run itself (as race_still() allows).
 */
static void *call_compaction(void *arg)
{
	struct race *r = arg;
	unsigned long i, j;
	struct race_call k;
	char path[64];
	int ret;

	ret = race_call_init(r, &k);
	race_set(r->ready, 1);
	for (i = 0; !ret && !race_get(r->stop); i++) {
		int node = race_target(r, i);

		for (j = 0; j < r->npages; j++)
			k.nodes[j] = node;
		move_pages(0, r->npages, k.pages, k.nodes, k.after, MPOL_MF_MOVE_ALL);
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/compact",
			 node);
		race_seqs(r, k.s0);
		if (race_frames(r, &k, k.pfn0))
			race_fail(r, "pagemap: %s", strerror(errno));
		if (pm_write_str(path, "1"))
			race_fail(r, "write %s failed", path);
		if (race_frames(r, &k, k.pfn1))
			race_fail(r, "pagemap: %s", strerror(errno));
		race_seqs(r, k.s1);
		race_inc(r->res->calls);
		for (j = 0; j < r->npages; j++)
			r->res->moved += race_still(r, &k, j) && k.pfn0[j] &&
					 k.pfn1[j] && k.pfn0[j] != k.pfn1[j];
	}
	race_call_free(&k);
	return NULL;
}

/* NUMA balancing: the operator's CPUs flip between the two nodes. */
static void *call_numa_balancing(void *arg)
{
	struct race *r = arg;
	cpu_set_t set[2];
	unsigned long i;

	if (!pm_node_cpus(r->n0, &set[0]) || !pm_node_cpus(r->n1, &set[1]))
		race_fail(r, "a node has no CPUs");
	race_set(r->ready, 1);
	if (r->res->errors)
		return NULL;
	for (i = 0; !race_get(r->stop); i++) {
		if (sched_setaffinity(r->op_tid, sizeof(set[0]), &set[i & 1]))
			race_fail(r, "sched_setaffinity: %s", strerror(errno));
		race_inc(r->res->calls);
		usleep(300000);
	}
	return NULL;
}

/* numa_pages_migrated of this thread (/proc/self/task/TID/sched), or 0. */
static long numa_pages_migrated(pid_t tid)
{
	char path[64], line[256];
	long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/sched", tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "numa_pages_migrated", 19) && strchr(line, ':'))
			v = strtol(strchr(line, ':') + 1, NULL, 10);
	fclose(f);
	return v;
}

static const struct race_caller callers[] = {
	{ "move_pages", 0, 0, 0, call_move_pages },
	{ "mbind", 0, 0, 0, call_mbind },
	{ "migrate_pages", 0, 0, 0, call_migrate_pages },
	/*
	 * 6.1 compaction skips compound pages, and a partly unmapped THP
	 * stays one until the deferred split: nothing of thp_split's for it.
	 */
	{ "compaction", 0, 1, 0, call_compaction },
	{ "numa_balancing", 1, 0, NEED_NB, call_numa_balancing },
};

/* ---- a pair ---- */

static int race_map(struct race *r)
{
	char path[128];
	int flags = MAP_SHARED;
	char *p;

	/* 2 MiB aligned, with the scratch area after a guard gap. */
	p = mmap(NULL, LEN + 4 * CHUNK, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return race_sys(r, -1, "mmap");
	r->buf = (char *)(((unsigned long)p + CHUNK - 1) & ~(CHUNK - 1));
	r->scratch = r->buf + LEN + CHUNK;
	munmap(r->buf, LEN);
	r->fd = -1;
	if (r->op->backing == ANON)
		return race_remap(r, r->buf, LEN, 0);
	if (r->op->backing == SHMEM) {
		r->fd = memfd_create("races", 0);
	} else {
		snprintf(path, sizeof(path), "%s/races.%d", r->dir, getpid());
		r->fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		unlink(path);
	}
	if (r->fd < 0 || ftruncate(r->fd, LEN))
		return race_sys(r, -1, "file");
	if (mmap(r->buf, LEN, PROT_READ | PROT_WRITE, flags | MAP_FIXED_NOREPLACE,
		 r->fd, 0) != r->buf)
		return race_sys(r, -1, "mmap file");
	return 0;
}

/*
 * A pair runs for its time and then on, in overtime, until the caller
 * has finished RACE_MIN_CALLS calls, one way and back at least, and
 * moved a page (NUMA balancing's are counted only at the end), so that
 * a slow guest still races them; but never beyond race_limit().
 */
#define RACE_MIN_CALLS	2

static double race_limit(double seconds)
{
	return 3 * seconds + 4;
}

/* Has the caller a move to its name?  NUMA balancing's count at the end. */
static int race_counted_a_move(struct race *r)
{
	return race_get(r->res->moved) || r->caller->run == call_numa_balancing;
}

/* Is the pair over: an error, its limit, or its time and work done? */
static int race_done(struct race *r, double start, double seconds)
{
	double t = pm_now() - start;

	if (race_get(r->res->errors) || t >= race_limit(seconds))
		return 1;
	/* calls counts started ones: the one running now is not done. */
	return t >= seconds && race_get(r->res->calls) > RACE_MIN_CALLS &&
	       race_counted_a_move(r);
}

/*
 * In overtime with no move counted yet, the operator waits for each new
 * call before its next operation: under a slow kernel an operator that
 * replaces every chunk during every call would leave no move to count.
 */
static void race_pace(struct race *r, double start, double seconds,
		      unsigned long *calls_seen)
{
	if (pm_now() - start < seconds || race_counted_a_move(r))
		return;
	while (race_get(r->res->calls) == *calls_seen &&
	       !race_done(r, start, seconds))
		usleep(1000);
	*calls_seen = race_get(r->res->calls);
}

/* The operator's loop: each chunk in turn until the pair is done. */
static void race_operate(struct race *r, double seconds)
{
	unsigned long calls_seen = 0;
	double start = pm_now();
	int c = 0;

	while (!race_done(r, start, seconds)) {
		int whole = r->op->refaults == WHOLE;

		race_pace(r, start, seconds, &calls_seen);
		if (race_done(r, start, seconds))
			break;
		if (whole)
			race_busy(r, c, 0, CHUNK);
		if (r->op->step(r, c))
			break;
		if (whole)
			race_busy(r, c, 0, CHUNK);
		r->res->ops++;
		c = (c + 1) % NCHUNK;
	}
	r->res->seconds = pm_now() - start;
}

/*
 * Run the pair on the CPUs of the two nodes, so that what it faults in
 * lands on one of them: migrate_pages(2) moves only from one to the other.
 */
static void race_pin(struct race *r)
{
	cpu_set_t set[2];

	pm_node_cpus(r->n0, &set[0]);
	pm_node_cpus(r->n1, &set[1]);
	CPU_OR(&set[0], &set[0], &set[1]);
	if (CPU_COUNT(&set[0]) && sched_setaffinity(0, sizeof(set[0]), &set[0]))
		race_fail(r, "sched_setaffinity: %s", strerror(errno));
}

static void race_pair(struct race *r, double seconds)
{
	pthread_t caller;
	long nb_before;
	int c;

	r->psz = getpagesize();
	r->npages = LEN / r->psz;
	r->want = malloc(r->psz);
	r->zero = calloc(1, r->psz);
	r->seq = calloc(r->npages, sizeof(*r->seq));
	if (!r->want || !r->zero || !r->seq) {
		race_fail(r, "no memory");
		return;
	}
	r->op_tid = gettid();
	race_pin(r);
	if (race_map(r) || (r->op->setup && r->op->setup(r)))
		return;
	for (c = 0; c < NCHUNK; c++)
		race_fill(r, c, 0, CHUNK);
	r->res->effect = 0;	/* the fill's userfaults are not the race's */
	nb_before = numa_pages_migrated(r->op_tid);
	if (pthread_create(&caller, NULL, r->caller->run, r)) {
		race_fail(r, "pthread_create");
		return;
	}
	/*
	 * What the caller maps for itself must not land in a hole that an
	 * operation leaves for a moment: let it map first.
	 */
	while (!race_get(r->ready))
		usleep(1000);
	race_operate(r, seconds);
	race_set(r->stop, 1);
	pthread_join(caller, NULL);
	if (r->caller->run == call_numa_balancing)
		r->res->moved = numa_pages_migrated(r->op_tid) - nb_before;
	for (c = 0; c < NCHUNK; c++)
		race_check(r, c, 0, CHUNK, PATTERN, "at the end");
	if (r->op->teardown)
		r->op->teardown(r);
}

/* ---- global set-up: knobs, swap, ext4 ---- */

static void knobs_save(const char * const *knobs, long *saved, int n)
{
	int i;

	for (i = 0; i < n; i++)
		saved[i] = pm_read_long(knobs[i]);
}

static void knobs_set(const char * const *knobs, const long *val, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (val[i] >= 0)
			pm_write_long(knobs[i], val[i]);
}

static int env_setup(void)
{
	int need = 0;

	if (pm_meminfo_kb("SwapTotal") == 0 &&
	    pm_read_long(ZRAM "/disksize") == 0 &&
	    !system("command -v mkswap >/dev/null 2>&1") &&
	    !pm_write_str(ZRAM "/disksize", "128M") &&
	    !system("mkswap /dev/zram0 >/dev/null 2>&1") &&
	    !swapon("/dev/zram0", 0))
		env.swap_on = 1;
	if (env.swap_on || pm_meminfo_kb("SwapTotal") > 0)
		need |= NEED_SWAP;
	if (!system("command -v mkfs.ext4 >/dev/null 2>&1") &&
	    system("grep -q '^" RAMDEV " ' /proc/mounts") &&
	    !system("mkfs.ext4 -q -F -b 4096 " RAMDEV " >/dev/null 2>&1")) {
		strcpy(env.dir, "/tmp/pm_races.XXXXXX");
		if (!mkdtemp(env.dir) || mount(RAMDEV, env.dir, "ext4", 0, NULL))
			env.dir[0] = 0;
	}
	if (env.dir[0])
		need |= NEED_EXT4;
	knobs_save(ksm_knobs, env.ksm_saved, 3);
	if (env.ksm_saved[0] >= 0)
		need |= NEED_KSM;
	knobs_save(nb_knobs, env.nb_saved, 5);
	if (env.nb_saved[0] >= 0 && !access(NB, W_OK) &&
	    pm_node_cpus(env.n0, &(cpu_set_t){}) &&
	    pm_node_cpus(env.n1, &(cpu_set_t){}))
		need |= NEED_NB;
	return need;
}

static void env_teardown(void)
{
	knobs_set(ksm_knobs, env.ksm_saved, 3);
	knobs_set(nb_knobs, env.nb_saved, 5);
	if (env.swap_on) {
		if (swapoff("/dev/zram0"))
			ksft_print_msg("swapoff /dev/zram0: %s\n", strerror(errno));
		pm_write_str(ZRAM "/reset", "1");
		env.swap_on = 0;
	}
	if (env.dir[0]) {
		if (umount(env.dir))
			ksft_print_msg("umount %s: %s\n", env.dir, strerror(errno));
		rmdir(env.dir);
		env.dir[0] = 0;
	}
}

/* Killed (a plan's time limit): undo the global settings first. */
static void env_killed(int sig)
{
	if (env.pair > 0) {
		kill(env.pair, SIGKILL);
		waitpid(env.pair, NULL, 0);
	}
	env_teardown();
	signal(sig, SIG_DFL);
	raise(sig);
}

static const char *need_name(int need)
{
	if (need & NEED_EXT4)
		return "no ext4 on " RAMDEV " (mkfs.ext4, CONFIG_BLK_DEV_RAM)";
	if (need & NEED_SWAP)
		return "no zram swap (CONFIG_ZRAM, mkswap, or swap already on)";
	if (need & NEED_NB)
		return "no NUMA balancing (CONFIG_NUMA_BALANCING) or a node without CPUs";
	return "no KSM (CONFIG_KSM)";
}

/* Why a pair moved nothing, with its caller's last call where it has one. */
static void race_why_unmoved(struct race_result *res,
			     const struct race_caller *caller)
{
	const struct race_last *last = &res->last;
	int n = snprintf(res->why, sizeof(res->why), "%s moved no page",
			 caller->name);

	if (last->before + last->other + last->err + last->replaced)
		snprintf(res->why + n, sizeof(res->why) - n,
			 " (last call: %lu on the target already, %lu elsewhere, %lu %s, %lu replaced meanwhile)",
			 last->before, last->other, last->err,
			 strerror(last->err_no), last->replaced);
}

/* Run one pair in a child of its own; report its TAP line. */
static void run_pair(const struct race_caller *caller, const struct race_op *op,
		     double seconds, struct race_result *res)
{
	char name[64];
	pid_t pid;
	int st;

	snprintf(name, sizeof(name), "%s.%s", caller->name, op->name);
	memset(res, 0, sizeof(*res));
	ksft_print_msg("RUN %s ...\n", name);
	fflush(stdout);
	if (op->need & NEED_KSM)
		knobs_set(ksm_knobs, ksm_fast, 3);
	if (caller->need & NEED_NB)
		knobs_set(nb_knobs, nb_fast, 5);
	pid = fork();
	env.pair = pid;
	if (pid == 0) {
		struct race r = {
			.op = op, .caller = caller, .res = res,
			.n0 = env.n0, .n1 = env.n1, .dir = env.dir,
			.away = -1,
		};

		alarm(race_limit(seconds) + 120);
		race_pair(&r, seconds);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		st = -1;
	env.pair = 0;
	if (caller->need & NEED_NB)
		pm_write_long(NB, env.nb_saved[0]);
	if (op->need & NEED_KSM) {
		pm_write_long(KSM "run", 2);	/* unmerge what is left */
		knobs_set(ksm_knobs, env.ksm_saved, 3);
	}
	if (st && !res->errors)
		snprintf(res->why, sizeof(res->why), "pair died: status 0x%x", st);
	else if (!res->errors && !res->ops)
		snprintf(res->why, sizeof(res->why), "no operation done");
	else if (!res->errors && !res->moved)
		race_why_unmoved(res, caller);
	else if (!res->errors && op->effect && !res->effect)
		snprintf(res->why, sizeof(res->why), "%s: no %s", op->name, op->effect);
	ksft_print_msg("%s: %.1f s, %lu ops, %lu calls, %lu moved, %s %lu, %lu bad bytes%s%s\n",
		       name, res->seconds, res->ops, res->calls, res->moved,
		       op->effect ? op->effect : "effect", res->effect,
		       res->bad_bytes, res->why[0] ? ": " : "", res->why);
	ksft_test_result(!res->why[0], "%s # ops=%lu calls=%lu moved=%lu %s=%lu bad=%lu%s%s\n",
			 name, res->ops, res->calls, res->moved,
			 op->effect ? op->effect : "effect", res->effect,
			 res->bad_bytes, res->why[0] ? " " : "", res->why);
}

static int selected(const char *name, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!fnmatch(argv[i], name, 0))
			return 1;
	return argc < 2;
}

int main(int argc, char **argv)
{
	struct race_result *res;
	const char *s = getenv("PM_RACE_SECONDS");
	const char *stop = getenv("PM_RACE_STOP_FILE");
	double seconds = s ? atof(s) : 2;
	unsigned int i, j, n = 0;
	char name[64];
	int have;

	ksft_print_header();
	pm_pick_nodes(&env.n0, &env.n1);
	if (env.n0 < 0)
		ksft_exit_skip("needs two NUMA nodes with memory\n");
	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	for (i = 0; i < ARRAY_SIZE(callers); i++)
		for (j = 0; j < ARRAY_SIZE(ops); j++) {
			snprintf(name, sizeof(name), "%s.%s", callers[i].name,
				 ops[j].name);
			n += selected(name, argc, argv);
		}
	ksft_set_plan(n);
	signal(SIGTERM, env_killed);
	signal(SIGINT, env_killed);
	have = env_setup();
	for (i = 0; i < ARRAY_SIZE(callers); i++)
		for (j = 0; j < ARRAY_SIZE(ops); j++) {
			int need = (callers[i].need | ops[j].need) & ~have;

			snprintf(name, sizeof(name), "%s.%s", callers[i].name,
				 ops[j].name);
			if (!selected(name, argc, argv))
				continue;
			if (stop && !access(stop, F_OK)) {
				ksft_print_msg("RUN %s ...\n", name);
				ksft_test_result_skip("%s exists\n", stop);
			} else if (need) {
				ksft_print_msg("RUN %s ...\n", name);
				ksft_test_result_skip("%s\n", need_name(need));
			} else if (callers[i].no_thp && ops[j].step == op_thp_split) {
				ksft_print_msg("RUN %s ...\n", name);
				ksft_test_result_skip("6.1 compaction moves no page of a THP\n");
			} else {
				run_pair(&callers[i], &ops[j],
					 seconds * (callers[i].slow ? 2 : 1), res);
			}
		}
	env_teardown();
	ksft_finished();
}
