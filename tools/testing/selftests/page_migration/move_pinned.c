// SPDX-License-Identifier: GPL-2.0
/*
 * Pages pinned with FOLL_PIN | FOLL_LONGTERM (io_uring registered
 * buffers, through raw syscalls) must not move: move_pages() reports
 * them as not migrated, the pages stay on their node and every byte is
 * intact. Once the buffers are unregistered (unpinned) they move.
 *
 * Stock 6.1: migration of a pinned anonymous page fails with -EAGAIN
 * until the retries run out; move_pages() then returns the number of
 * pages not migrated and leaves their status entries as they were.
 *
 * some_pinned: a few pinned pages among many (one pinned subpage of a
 * THP), for anon, shmem and THP.  move_pages() and mbind(MPOL_MF_MOVE)
 * move every unpinned page and leave every pinned one, with 6.1's
 * return values; nothing here is timed.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/mempolicy.h>

#include "../kselftest_harness.h"
#include "pm_test.h"

#define NR_PAGES	64
#define SEED		81
#define POISON		0x7f7f7f7f

FIXTURE(pinned)
{
	int node_a, node_b;
	size_t psz, len;
	char *buf;
	int ring;
	int registered;
	int status[NR_PAGES];
};

FIXTURE_SETUP(pinned)
{
	self->ring = -1;
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	self->psz = getpagesize();
	self->len = NR_PAGES * self->psz;
	self->ring = pm_ring_open();
	if (self->ring < 0)
		SKIP(return, "io_uring_setup: %s (CONFIG_IO_URING)",
		     strerror(errno));
	self->buf = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	ASSERT_EQ(0, madvise(self->buf, self->len, MADV_NOHUGEPAGE));
	pm_fill(self->buf, self->len, SEED);
	PM_MOVE_OK(self->buf, NR_PAGES, self->psz, self->node_a, self->status,
		   0, "initial placement");
}

FIXTURE_TEARDOWN(pinned)
{
	if (self->registered)
		pm_ring_unpin(self->ring);
	if (self->ring >= 0)
		close(self->ring);
	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, self->len);
}

static void pin(struct __test_metadata *_metadata, FIXTURE_DATA(pinned) *self)
{
	struct iovec iov = { .iov_base = self->buf, .iov_len = self->len };

	ASSERT_EQ(0, pm_ring_pin(self->ring, &iov, 1))
		TH_LOG("IORING_REGISTER_BUFFERS: %s", strerror(errno));
	self->registered = 1;
}

static void unpin(struct __test_metadata *_metadata,
		  FIXTURE_DATA(pinned) *self)
{
	ASSERT_EQ(0, pm_ring_unpin(self->ring))
		TH_LOG("IORING_UNREGISTER_BUFFERS: %s", strerror(errno));
	self->registered = 0;
}

TEST_F_TIMEOUT(pinned, pinned_pages_stay_then_move, 90)
{
	long ret, fail0;

	PM_RETURN_IF_SKIPPED();
	pin(_metadata, self);
	/* Pinning does not change where the pages are or what they hold. */
	PM_ASSERT_WHERE(self->buf, NR_PAGES, self->psz, self->node_a,
			self->status, "after pinning");
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "after pinning");

	fail0 = pm_vmstat("pgmigrate_fail");
	pm_status_poison(self->status, NR_PAGES);
	ret = pm_move(self->buf, NR_PAGES, self->psz, self->node_b,
		      self->status, 0);
	TH_LOG("pinned move: move_pages returned %ld, status[0] %d, pgmigrate_fail +%ld",
	       ret, self->status[0], pm_vmstat("pgmigrate_fail") - fail0);
	ASSERT_EQ(NR_PAGES, ret)
		TH_LOG("move_pages of %d pinned pages returned %ld, expected %d not migrated",
		       NR_PAGES, ret, NR_PAGES);
	/* Stock 6.1 does not write the status of a batch that failed. */
	PM_ASSERT_STATUS(self->status, NR_PAGES, POISON,
			 "pinned page (status left as the caller set it)");
	ASSERT_LE(fail0 + NR_PAGES, pm_vmstat("pgmigrate_fail"));
	PM_ASSERT_WHERE(self->buf, NR_PAGES, self->psz, self->node_a,
			self->status, "pinned pages after the refused move");
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "pinned pages after the refused move");

	/* The pin is still effective: writes through the mapping land. */
	pm_fill(self->buf, self->len, SEED + 1);
	PM_ASSERT_CONTENT(self->buf, self->len, SEED + 1, self->psz,
			  "rewritten while pinned");

	unpin(_metadata, self);
	PM_MOVE_OK(self->buf, NR_PAGES, self->psz, self->node_b, self->status,
		   0, "unpinned pages");
	PM_ASSERT_WHERE(self->buf, NR_PAGES, self->psz, self->node_b,
			self->status, "after unpinning and moving");
	PM_ASSERT_CONTENT(self->buf, self->len, SEED + 1, self->psz,
			  "after unpinning and moving");
}

#define HPSZ		(2UL << 20)
#define SOME_PAGES	64	/* anon and shmem: pages in the buffer */
#define SOME_STRIDE	8	/* ... of which every 8th is pinned */
#define SOME_THPS	2	/* thp: THPs, one subpage of the first pinned */
#define THP_PINNED_SUB	100
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

enum some_kind { SOME_ANON, SOME_SHMEM, SOME_THP };

FIXTURE(some_pinned)
{
	int node_a, node_b;
	size_t psz, len, npages;
	size_t unit;		/* bytes per move_pages() entry */
	char *raw, *buf;
	size_t raw_len;
	int ring, fd;
	int registered;
	int *status;
};

FIXTURE_VARIANT(some_pinned)
{
	enum some_kind kind;
};

FIXTURE_VARIANT_ADD(some_pinned, anon) { .kind = SOME_ANON };
FIXTURE_VARIANT_ADD(some_pinned, shmem) { .kind = SOME_SHMEM };
FIXTURE_VARIANT_ADD(some_pinned, thp) { .kind = SOME_THP };

/* Is base page i of the buffer one of the pinned ones? */
static int some_is_pinned(const FIXTURE_VARIANT(some_pinned) *variant,
			  size_t i)
{
	if (variant->kind == SOME_THP)
		return i == THP_PINNED_SUB;
	return i % SOME_STRIDE == 0;
}

/* Where page i belongs after a move to node_b: its THP counts. */
static int some_stays(const FIXTURE_VARIANT(some_pinned) *variant,
		      size_t i, size_t psz)
{
	if (variant->kind == SOME_THP)
		return i / (HPSZ / psz) == THP_PINNED_SUB / (HPSZ / psz);
	return some_is_pinned(variant, i);
}

static int some_thp_backed(FIXTURE_DATA(some_pinned) *self)
{
	uint64_t f;
	size_t i;

	for (i = 0; i < self->npages; i += HPSZ / self->psz)
		if (pm_kpageflags(self->buf + i * self->psz, &f) ||
		    !(f & PM_KPF(KPF_THP)))
			return 0;
	return 1;
}

FIXTURE_SETUP(some_pinned)
{
	char knob[128];
	int prot = PROT_READ | PROT_WRITE;

	self->ring = -1;
	self->fd = -1;
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	self->psz = getpagesize();
	self->unit = self->psz;
	self->len = SOME_PAGES * self->psz;
	if (variant->kind == SOME_THP) {
		if (pm_read_str(THP_ENABLED, knob, sizeof(knob)) < 0 ||
		    strstr(knob, "[never]"))
			SKIP(return, "no THP here");
		self->unit = HPSZ;
		self->len = SOME_THPS * HPSZ;
	}
	self->npages = self->len / self->psz;
	self->status = calloc(self->npages, sizeof(int));
	ASSERT_NE(NULL, self->status);
	self->ring = pm_ring_open();
	if (self->ring < 0)
		SKIP(return, "io_uring_setup: %s (CONFIG_IO_URING)",
		     strerror(errno));

	self->raw_len = self->len + HPSZ;
	if (variant->kind == SOME_SHMEM) {
		self->fd = memfd_create("move_pinned", 0);
		ASSERT_LE(0, self->fd);
		ASSERT_EQ(0, ftruncate(self->fd, self->len));
		self->raw_len = self->len;
		self->raw = mmap(NULL, self->len, prot, MAP_SHARED, self->fd, 0);
		ASSERT_NE(MAP_FAILED, self->raw);
		self->buf = self->raw;
	} else {
		self->raw = mmap(NULL, self->raw_len, prot,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, self->raw);
		self->buf = (char *)(((uintptr_t)self->raw + HPSZ - 1) &
				     ~(HPSZ - 1));
		ASSERT_EQ(0, madvise(self->buf, self->len,
				     variant->kind == SOME_THP ?
				     MADV_HUGEPAGE : MADV_NOHUGEPAGE));
	}
	pm_fill(self->buf, self->len, SEED);
	if (variant->kind == SOME_THP && !some_thp_backed(self))
		SKIP(return, "the buffer did not get THPs");
	/*
	 * One entry per THP: 6.1 reports -EBUSY for the tail pages of a
	 * THP that an earlier entry of the same call already isolated.
	 */
	PM_MOVE_OK(self->buf, self->len / self->unit, self->unit,
		   self->node_a, self->status, 0, "initial placement");
	PM_ASSERT_WHERE(self->buf, self->npages, self->psz, self->node_a,
			self->status, "initial placement, every base page");
}

FIXTURE_TEARDOWN(some_pinned)
{
	if (self->registered)
		pm_ring_unpin(self->ring);
	if (self->ring >= 0)
		close(self->ring);
	if (self->raw && self->raw != MAP_FAILED)
		munmap(self->raw, self->raw_len);
	if (self->fd >= 0)
		close(self->fd);
	free(self->status);
}

/* Register each pinned page as a buffer of its own; return how many. */
static int some_pin(struct __test_metadata *_metadata,
		    const FIXTURE_VARIANT(some_pinned) *variant,
		    FIXTURE_DATA(some_pinned) *self)
{
	struct iovec iov[SOME_PAGES];
	size_t i;
	int n = 0;

	for (i = 0; i < self->npages; i++) {
		if (!some_is_pinned(variant, i))
			continue;
		iov[n].iov_base = self->buf + i * self->psz;
		iov[n].iov_len = self->psz;
		n++;
	}
	ASSERT_EQ(0, pm_ring_pin(self->ring, iov, n))
		TH_LOG("IORING_REGISTER_BUFFERS of %d pages: %s", n,
		       strerror(errno));
	self->registered = 1;
	return n;
}

/*
 * Every page is where it belongs: pinned ones (and their THP) on
 * node_a, the rest on moved_to.
 */
static void some_check_placement(struct __test_metadata *_metadata,
				 const FIXTURE_VARIANT(some_pinned) *variant,
				 FIXTURE_DATA(some_pinned) *self,
				 int moved_to, const char *what)
{
	size_t i;
	int want;

	ASSERT_EQ(0, pm_where(self->buf, self->npages, self->psz,
			      pm_status_poison(self->status, self->npages)));
	for (i = 0; i < self->npages; i++) {
		want = some_stays(variant, i, self->psz) ? self->node_a :
							   moved_to;
		ASSERT_EQ(want, self->status[i])
			TH_LOG("%s: page %zu (%s) is on node %d, expected %d",
			       what, i, some_is_pinned(variant, i) ?
			       "pinned" : "not pinned", self->status[i], want);
	}
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz, what);
}

/*
 * move_pages() to node_b, then mbind(MPOL_BIND node_b, MPOL_MF_MOVE |
 * MPOL_MF_STRICT) after the movable pages went back: each moves every
 * unpinned page and no pinned one.  Once unpinned, everything moves.
 */
TEST_F_TIMEOUT(some_pinned, unpinned_move_pinned_stay, 120)
{
	unsigned long mask = 1UL << self->node_b;
	size_t nr_units = self->len / self->unit;
	long ret, want_ret;
	int nr_pinned;

	PM_RETURN_IF_SKIPPED();
	ASSERT_LT(self->node_b, (int)(8 * sizeof(mask)));
	nr_pinned = some_pin(_metadata, variant, self);
	ASSERT_LT(0, nr_pinned);
	/* 6.1 counts the folios that did not move: one THP, or each page. */
	want_ret = variant->kind == SOME_THP ? 1 : nr_pinned;

	ret = pm_move(self->buf, nr_units, self->unit, self->node_b,
		      pm_status_poison(self->status, nr_units), 0);
	ASSERT_EQ(want_ret, ret)
		TH_LOG("move_pages of %zu entries with %d pinned pages returned %ld, expected %ld",
		       nr_units, nr_pinned, ret, want_ret);
	/* 6.1 writes no status for a run that did not all move. */
	PM_ASSERT_STATUS(self->status, nr_units, POISON,
			 "status of the run with pinned pages");
	some_check_placement(_metadata, variant, self, self->node_b,
			     "after move_pages");

	/* Back to node_a: the pinned pages are there already. */
	PM_MOVE_OK(self->buf, nr_units, self->unit, self->node_a,
		   self->status, 0, "movable pages back to node_a");
	ret = syscall(__NR_mbind, self->buf, self->len, MPOL_BIND, &mask,
		      8 * sizeof(mask), MPOL_MF_MOVE | MPOL_MF_STRICT);
	ASSERT_EQ(-1, ret);
	ASSERT_EQ(EIO, errno)
		TH_LOG("mbind(MOVE|STRICT) with pinned pages: errno %d (%s), expected EIO",
		       errno, strerror(errno));
	some_check_placement(_metadata, variant, self, self->node_b,
			     "after mbind");

	ASSERT_EQ(0, pm_ring_unpin(self->ring));
	self->registered = 0;
	PM_MOVE_OK(self->buf, nr_units, self->unit, self->node_b,
		   self->status, 0, "every page, once unpinned");
	PM_ASSERT_WHERE(self->buf, self->npages, self->psz, self->node_b,
			self->status, "after unpinning");
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "after unpinning and moving");
}

TEST_HARNESS_MAIN
