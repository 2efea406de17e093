// SPDX-License-Identifier: GPL-2.0
/*
 * Pages not on the LRU yet move too.  A page just faulted in or just
 * moved sits in a per-CPU LRU batch, of the moving CPU or of another,
 * until that batch is drained.  move_pages() drains batches only when a
 * page it must move is in one: its own CPU's first, every CPU's if that
 * was not enough.  So fresh pages of either CPU move, and a page moved
 * back and forth moves every time, waiting for no RCU grace period and
 * queueing no drain work (stock 6.1 turns every CPU's batches off on
 * every call: an expedited grace period, and drain work where needed).
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
#define EXP_GP		"rcu/rcu_exp_grace_period"
#define EXP_GP_WAIT	" snap\n"	/* a caller of synchronize_rcu_expedited() */

/* Bind the range to node (first touch), or to both nodes. */
static int bind_to(void *buf, size_t len, int node, int other)
{
	unsigned long mask = 1UL << node;

	if (other >= 0)
		mask |= 1UL << other;
	return mbind(buf, len, MPOL_BIND, &mask, sizeof(mask) * 8, 0);
}

/*
 * A thread on another CPU that faults the pages in on request and stays
 * alive: a thread's exit gives back its stack with MADV_DONTNEED, which
 * drains its CPU's LRU batches.
 */
struct filler {
	pthread_t th;
	int req[2], done[2];	/* pipes: "f" to fill, EOF to end; "d" done */
	char *buf;
	size_t len;
	int cpu;
};

static void *filler_main(void *arg)
{
	struct filler *f = arg;
	char ok = pm_pin_to(f->cpu) ? 'e' : 'd', c;

	while (read(f->req[0], &c, 1) == 1) {
		if (ok == 'd')
			pm_fill(f->buf, f->len, SEED);
		if (write(f->done[1], &ok, 1) != 1)
			break;
	}
	return NULL;
}

static int filler_start(struct filler *f, int cpu)
{
	f->cpu = cpu;
	if (pipe(f->req))
		return -1;
	if (pipe(f->done)) {
		close(f->req[0]);
		close(f->req[1]);
		return -1;
	}
	if (!pthread_create(&f->th, NULL, filler_main, f))
		return 0;
	close(f->req[0]);
	close(f->req[1]);
	close(f->done[0]);
	close(f->done[1]);
	return -1;
}

/* Fault in f->buf on the filler's CPU: 0 or -1. */
static int filler_fill(struct filler *f)
{
	char c;

	if (write(f->req[1], "f", 1) != 1 || read(f->done[0], &c, 1) != 1)
		return -1;
	return c == 'd' ? 0 : -1;
}

static void filler_stop(struct filler *f)
{
	close(f->req[1]);
	pthread_join(f->th, NULL);
	close(f->req[0]);
	close(f->done[0]);
	close(f->done[1]);
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
	struct filler filler;
	bool filling;
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
	if (variant->other_cpu) {
		ASSERT_EQ(0, filler_start(&self->filler, self->other_cpu));
		self->filling = true;
	}
}

FIXTURE_TEARDOWN(fresh)
{
	if (self->filling)
		filler_stop(&self->filler);
	if (self->buf)
		munmap(self->buf, NR_FRESH * self->psz);
}

/*
 * Map and fault in NR_FRESH pages on node A, from the variant's CPU,
 * until some of them are still in that CPU's LRU batch.  Another task
 * may drain every batch meanwhile; a few tries get past that.
 * Return: how many are in the batch, or -1 on a failed call.
 */
static int map_fresh(FIXTURE_DATA(fresh) *self, bool other_cpu)
{
	size_t len = NR_FRESH * self->psz;
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
		if (other_cpu) {
			self->filler.buf = self->buf;
			self->filler.len = len;
			if (filler_fill(&self->filler))
				return -1;
		} else {
			pm_fill(self->buf, len, SEED);
		}
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
 * trip, so a local drain frees it: no trip waits for an expedited RCU
 * grace period or queues drain work.  The control: mbind(MPOL_MF_MOVE)
 * turns the batches off on every kernel, which waits for an expedited
 * grace period, and the trace must see that.
 */
TEST_F(trips, trips_need_no_grace_period_or_drain)
{
	unsigned long mask = 1UL << self->node_b;
	long gp, drains, control;
	char filter[64];

	PM_RETURN_IF_SKIPPED();
	snprintf(filter, sizeof(filter), "common_pid == %d", getpid());
	if (pm_trace_open(self->dir, sizeof(self->dir), INSTANCE, QUEUE_WORK,
			  filter) ||
	    pm_trace_enable(self->dir, EXP_GP, filter))
		SKIP(return, "no tracefs instance with %s and %s", QUEUE_WORK,
		     EXP_GP);
	round_trips(_metadata, self);
	gp = pm_trace_count(self->dir, EXP_GP_WAIT);
	drains = pm_trace_count(self->dir, DRAIN_WORK);
	/* The last trip went to node A. */
	ASSERT_EQ(0, mbind(self->buf, self->psz, MPOL_BIND, &mask,
			   sizeof(mask) * 8, MPOL_MF_MOVE))
		TH_LOG("mbind(MPOL_MF_MOVE): %s", strerror(errno));
	control = pm_trace_count(self->dir, EXP_GP_WAIT) - gp;
	TH_LOG("%d trips: %ld expedited grace periods, %ld LRU drain work items; mbind(MOVE): %ld grace periods",
	       NR_TRIPS, gp, drains, control);
	ASSERT_LT(0, control) TH_LOG("the trace saw no grace period at all");
	EXPECT_EQ(0, gp);
	EXPECT_EQ(0, drains);
	PM_ASSERT_WHERE(self->buf, 1, self->psz, self->node_b, self->status,
			"after mbind(MOVE)");
	PM_ASSERT_CONTENT(self->buf, self->psz, SEED, self->psz,
			  "after mbind(MOVE)");
}

TEST_HARNESS_MAIN
