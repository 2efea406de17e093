// SPDX-License-Identifier: GPL-2.0
/*
 * A page moved alone, one move_pages() call each, flushes only its own
 * TLB entry: the x86 tlb_flush tracepoint of the moving task shows no
 * whole-TLB "local shootdown" (the batched flush point's) during the
 * calls.  A second thread spins on another CPU meanwhile, so that the
 * flushes are not local only: rmap defers them to the batch then.
 * Every page still lands on the target and every byte survives.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../kselftest_harness.h"
#include "pm_test.h"

#define NR_PAGES	64
#define SEED		83
#define INSTANCE	"pm_move_single"

FIXTURE(single)
{
	int node_a, node_b;
	size_t psz;
	char *buf;
	char dir[160];
	int cpu, other_cpu;
	pthread_t spinner;
	bool spinning;
	int status[NR_PAGES];
};

static atomic_int spin_stop;

/* Keep our mm live on another CPU until told to stop. */
static void *spin(void *arg)
{
	pm_pin_to((int)(long)arg);
	while (!atomic_load(&spin_stop))
		;
	return NULL;
}

/* A tracefs instance with tlb_flush on for this task only, or -1. */
static int trace_open(FIXTURE_DATA(single) *self)
{
	char filter[64];

	snprintf(filter, sizeof(filter), "common_pid == %d", getpid());
	return pm_trace_open(self->dir, sizeof(self->dir), INSTANCE,
			     "tlb/tlb_flush", filter);
}

FIXTURE_SETUP(single)
{
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	/* The mover stays on one CPU, the spinner on another. */
	if (pm_pin_here(&self->cpu, &self->other_cpu))
		SKIP(return, "needs two CPUs");
	self->psz = getpagesize();
	self->buf = mmap(NULL, NR_PAGES * self->psz, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	ASSERT_EQ(0, madvise(self->buf, NR_PAGES * self->psz,
			     MADV_NOHUGEPAGE));
	pm_fill(self->buf, NR_PAGES * self->psz, SEED);
	PM_MOVE_OK(self->buf, NR_PAGES, self->psz, self->node_a,
		   self->status, 0, "initial placement");
	if (trace_open(self))
		SKIP(return, "no tracefs instance with the tlb_flush event");
}

FIXTURE_TEARDOWN(single)
{
	if (self->spinning) {
		atomic_store(&spin_stop, 1);
		pthread_join(self->spinner, NULL);
	}
	if (self->dir[0])
		rmdir(self->dir);
	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, NR_PAGES * self->psz);
}

TEST_F(single, page_moved_alone_flushes_only_its_entry)
{
	long whole, own;
	int i;

	PM_RETURN_IF_SKIPPED();
	ASSERT_EQ(0, pthread_create(&self->spinner, NULL, spin,
				    (void *)(long)self->other_cpu));
	self->spinning = true;
	usleep(100000);
	for (i = 0; i < NR_PAGES; i++)
		PM_MOVE_OK(self->buf + i * self->psz, 1, self->psz,
			   self->node_b, self->status, 0, "one page alone");
	whole = pm_trace_count(self->dir, "pages:-1 reason:local shootdown");
	own = pm_trace_count(self->dir, "pages:1 reason:local mm shootdown");
	TH_LOG("%d single-page moves: %ld whole-TLB and %ld one-page local flushes",
	       NR_PAGES, whole, own);
	EXPECT_EQ(0, whole);
	EXPECT_LE(NR_PAGES, own);
	PM_ASSERT_WHERE(self->buf, NR_PAGES, self->psz, self->node_b,
			self->status, "every page after the single moves");
	PM_ASSERT_CONTENT(self->buf, NR_PAGES * self->psz, SEED, self->psz,
			  "after the single moves");
}

TEST_HARNESS_MAIN
