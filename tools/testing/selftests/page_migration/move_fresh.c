// SPDX-License-Identifier: GPL-2.0
/*
 * Pages not on the LRU yet move too.  A page just faulted in or just
 * moved sits in a per-CPU LRU batch, of the moving CPU or of another,
 * until that batch is drained.  move_pages() drains batches only when a
 * page it must move is in one: its own CPU's first, every CPU's if that
 * was not enough.  So fresh pages of either CPU move, and a page moved
 * back and forth moves every time without a work item on other CPUs
 * (stock 6.1 drains every CPU's batches on every call).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "pm_test.h"

#define NR_FRESH	8	/* fewer than an LRU batch holds (15) */
#define FRESH_TRIES	20
#define NR_TRIPS	200
#define SEED		97
#define INSTANCE	"pm_move_fresh"
#define QUEUE_WORK	"workqueue/workqueue_queue_work"
#define DRAIN_WORK	"function=lru_add_drain_per_cpu"

/* Bind the range to node (first touch), or to both nodes. */
static int bind_to(void *buf, size_t len, int node, int other)
{
	unsigned long mask = 1UL << node;

	if (other >= 0)
		mask |= 1UL << other;
	return mbind(buf, len, MPOL_BIND, &mask, sizeof(mask) * 8, 0);
}

struct filler {
	char *buf;
	size_t len;
	int cpu;
};

static void *fill_on_cpu(void *arg)
{
	struct filler *f = arg;

	if (pm_pin_to(f->cpu))
		return (void *)1L;
	pm_fill(f->buf, f->len, SEED);
	return NULL;
}

/* Pages of the range that /proc/kpageflags does not show on the LRU. */
static int off_lru(const char *buf, int n, size_t psz)
{
	uint64_t flags;
	int i, off = 0;

	for (i = 0; i < n; i++)
		if (!pm_kpageflags(buf + i * psz, &flags) &&
		    !(flags & PM_KPF(KPF_LRU)))
			off++;
	return off;
}

FIXTURE(fresh)
{
	int node_a, node_b;
	size_t psz;
	int cpu, other_cpu;
	char *buf;
	int status[NR_FRESH];
};

FIXTURE_VARIANT(fresh)
{
	bool other_cpu;		/* faulted in on another CPU than the mover */
};

FIXTURE_VARIANT_ADD(fresh, this_cpu) { .other_cpu = false };
FIXTURE_VARIANT_ADD(fresh, other_cpu) { .other_cpu = true };

FIXTURE_SETUP(fresh)
{
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	if (pm_pin_here(&self->cpu, &self->other_cpu))
		SKIP(return, "needs two CPUs");
	self->psz = getpagesize();
}

FIXTURE_TEARDOWN(fresh)
{
	if (self->buf)
		munmap(self->buf, NR_FRESH * self->psz);
}

/*
 * Map and fault in NR_FRESH pages on node A, from the variant's CPU,
 * until some of them are still in that CPU's LRU batch.  Another task
 * may drain every batch meanwhile; a few tries get past that.
 */
static int map_fresh(FIXTURE_DATA(fresh) *self, bool other_cpu)
{
	size_t len = NR_FRESH * self->psz;
	struct filler f = { .len = len };
	pthread_t th;
	void *ret;
	int try, off = 0;

	for (try = 0; try < FRESH_TRIES && !off; try++) {
		if (self->buf)
			munmap(self->buf, len);
		self->buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (self->buf == MAP_FAILED) {
			self->buf = NULL;
			return -1;
		}
		if (madvise(self->buf, len, MADV_NOHUGEPAGE) ||
		    bind_to(self->buf, len, self->node_a, -1))
			return -1;
		f.buf = self->buf;
		f.cpu = other_cpu ? self->other_cpu : self->cpu;
		if (pthread_create(&th, NULL, fill_on_cpu, &f) ||
		    pthread_join(th, &ret) || ret)
			return -1;
		off = off_lru(self->buf, NR_FRESH, self->psz);
	}
	return off;
}

TEST_F(fresh, pages_in_an_lru_batch_move)
{
	size_t len = NR_FRESH * self->psz;
	int off;

	PM_RETURN_IF_SKIPPED();
	off = map_fresh(self, variant->other_cpu);
	ASSERT_LE(0, off) TH_LOG("mapping and faulting in the pages");
	if (!off)
		SKIP(return, "no fresh page stayed in an LRU batch in %d tries",
		     FRESH_TRIES);
	TH_LOG("%d of %d fresh pages in CPU %d's LRU batch", off, NR_FRESH,
	       variant->other_cpu ? self->other_cpu : self->cpu);
	ASSERT_EQ(0, bind_to(self->buf, len, self->node_a, self->node_b));
	PM_ASSERT_WHERE(self->buf, NR_FRESH, self->psz, self->node_a,
			self->status, "first touch");
	PM_MOVE_OK(self->buf, NR_FRESH, self->psz, self->node_b,
		   self->status, 0, "fresh pages");
	PM_ASSERT_WHERE(self->buf, NR_FRESH, self->psz, self->node_b,
			self->status, "after the move");
	PM_ASSERT_CONTENT(self->buf, len, SEED, self->psz, "after the move");
}

FIXTURE(trips)
{
	int node_a, node_b;
	size_t psz;
	char *buf;
	char dir[160];
	int status[1];
};

FIXTURE_SETUP(trips)
{
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	ASSERT_EQ(0, pm_pin_to(sched_getcpu()));
	self->psz = getpagesize();
	self->buf = mmap(NULL, self->psz, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	pm_fill(self->buf, self->psz, SEED);
}

FIXTURE_TEARDOWN(trips)
{
	if (self->dir[0])
		rmdir(self->dir);
	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, self->psz);
}

/* Move the page NR_TRIPS times between the nodes, checking each time. */
static void round_trips(struct __test_metadata *_metadata,
			FIXTURE_DATA(trips) *self)
{
	int i, node;

	for (i = 0; i < NR_TRIPS; i++) {
		node = i % 2 ? self->node_a : self->node_b;
		PM_MOVE_OK(self->buf, 1, self->psz, node, self->status, 0,
			   "a trip");
		PM_ASSERT_WHERE(self->buf, 1, self->psz, node, self->status,
				"after a trip");
		PM_ASSERT_CONTENT(self->buf, self->psz, SEED, self->psz,
				  "after a trip");
	}
}

TEST_F(trips, a_page_moves_every_time)
{
	PM_RETURN_IF_SKIPPED();
	round_trips(_metadata, self);
}

/*
 * The moved page sits in the mover's own LRU batch before each next
 * trip, so no trip needs other CPUs' batches drained.  The control:
 * mbind(MPOL_MF_MOVE) drains every CPU's batches on every kernel, and
 * the trace must see its work items.
 */
TEST_F(trips, trips_queue_no_drain_on_other_cpus)
{
	unsigned long mask = 1UL << self->node_b;
	char filter[64];
	long trips, control;

	PM_RETURN_IF_SKIPPED();
	snprintf(filter, sizeof(filter), "common_pid == %d", getpid());
	if (pm_trace_open(self->dir, sizeof(self->dir), INSTANCE, QUEUE_WORK,
			  filter))
		SKIP(return, "no tracefs instance with %s", QUEUE_WORK);
	round_trips(_metadata, self);
	trips = pm_trace_count(self->dir, DRAIN_WORK);
	/* The last trip went to node A. */
	ASSERT_EQ(0, mbind(self->buf, self->psz, MPOL_BIND, &mask,
			   sizeof(mask) * 8, MPOL_MF_MOVE))
		TH_LOG("mbind(MPOL_MF_MOVE): %s", strerror(errno));
	control = pm_trace_count(self->dir, DRAIN_WORK) - trips;
	TH_LOG("%d trips queued %ld LRU drain work items; mbind(MOVE) %ld",
	       NR_TRIPS, trips, control);
	ASSERT_LT(0, control) TH_LOG("the trace saw no drain work at all");
	EXPECT_EQ(0, trips);
	PM_ASSERT_WHERE(self->buf, 1, self->psz, self->node_b, self->status,
			"after mbind(MOVE)");
	PM_ASSERT_CONTENT(self->buf, self->psz, SEED, self->psz,
			  "after mbind(MOVE)");
}

TEST_HARNESS_MAIN
