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
#define INSTANCE	"instances/pm_move_single"

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
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET((int)(long)arg, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	while (!atomic_load(&spin_stop))
		;
	return NULL;
}

/* A tracefs instance with tlb_flush on for this task only, or -1. */
static int trace_open(FIXTURE_DATA(single) *self)
{
	static const char *const roots[] = { "/sys/kernel/tracing",
					     "/sys/kernel/debug/tracing" };
	char knob[256], filter[64];
	int i;

	snprintf(filter, sizeof(filter), "common_pid == %d", getpid());
	for (i = 0; i < (int)ARRAY_SIZE(roots); i++) {
		snprintf(self->dir, sizeof(self->dir), "%s/" INSTANCE,
			 roots[i]);
		rmdir(self->dir);
		if (mkdir(self->dir, 0700))
			continue;
		snprintf(knob, sizeof(knob), "%s/events/tlb/tlb_flush/filter",
			 self->dir);
		if (!pm_write_str(knob, filter)) {
			snprintf(knob, sizeof(knob),
				 "%s/events/tlb/tlb_flush/enable", self->dir);
			if (!pm_write_str(knob, "1"))
				return 0;
		}
		rmdir(self->dir);
	}
	self->dir[0] = 0;
	return -1;
}

/* Trace lines that contain what. */
static long trace_count(FIXTURE_DATA(single) *self, const char *what)
{
	char path[256], line[512];
	long n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/trace", self->dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += !!strstr(line, what);
	fclose(f);
	return n;
}

FIXTURE_SETUP(single)
{
	cpu_set_t cpus;

	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	/* The mover stays on one CPU, the spinner on another. */
	self->cpu = sched_getcpu();
	self->other_cpu = self->cpu ? 0 : 1;
	CPU_ZERO(&cpus);
	CPU_SET(self->cpu, &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
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
	whole = trace_count(self, "pages:-1 reason:local shootdown");
	own = trace_count(self, "pages:1 reason:local mm shootdown");
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
