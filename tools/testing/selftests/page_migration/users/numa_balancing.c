// SPDX-License-Identifier: GPL-2.0
/*
 * Automatic NUMA balancing migrates misplaced pages: with
 * kernel.numa_balancing=1, a task that first touched its memory on
 * node n0 and then runs only on node n1's CPUs, reading that memory,
 * gets it moved to n1 within a bounded time (40 s): numa_pages_migrated
 * in /proc/vmstat grows and move_pages() queries show the pages on n1.
 * The scan delay/period (debugfs sched/numa_balancing/ in 6.1) are
 * lowered for speed; every setting is restored after.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/mman.h>
#include <time.h>

#include "../../kselftest_harness.h"
#include "users_util.h"

#define NB	"/proc/sys/kernel/numa_balancing"
#define DBG	"/sys/kernel/debug/sched/numa_balancing/"
#define LEN	(16UL << 20)
#define LIMIT_S	40

static const char * const knobs[] = { NB, DBG "scan_delay_ms", DBG "scan_period_min_ms",
				      DBG "scan_period_max_ms", DBG "scan_size_mb" };
static const long fast[] = { 1, 50, 100, 400, 64 };
#define NKNOBS	(sizeof(knobs) / sizeof(knobs[0]))

FIXTURE(nb)
{
	size_t psz;
	int n0, n1;
	long saved[NKNOBS];
};

FIXTURE_SETUP(nb)
{
	unsigned int i;

	self->psz = getpagesize();
	for (i = 0; i < NKNOBS; i++)
		self->saved[i] = -1;
	pm_pick_nodes(&self->n0, &self->n1);
	if (self->n0 < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	if (access(NB, W_OK))
		SKIP(return, "no writable " NB " (CONFIG_NUMA_BALANCING)");
	if (pm_vmstat("numa_pages_migrated") < 0)
		SKIP(return, "no numa_pages_migrated in /proc/vmstat");
	for (i = 0; i < NKNOBS; i++) {
		self->saved[i] = pm_read_long(knobs[i]);
		if (self->saved[i] >= 0)
			ASSERT_EQ(0, pm_write_long(knobs[i], fast[i])) {
				TH_LOG("cannot write %s", knobs[i]);
			}
	}
}

FIXTURE_TEARDOWN(nb)
{
	unsigned int i;

	for (i = 0; i < NKNOBS; i++)
		if (self->saved[i] >= 0)
			pm_write_long(knobs[i], self->saved[i]);
}

TEST_F_TIMEOUT(nb, misplaced_pages_follow_the_task, 120)
{
	unsigned long n = LEN / self->psz, i, on_n1 = 0;
	long before, after;
	volatile unsigned long sum = 0;
	cpu_set_t c0, c1;
	struct timespec t0, t;
	int *status;
	char *buf;

	PM_RETURN_IF_SKIPPED();
	if (!pm_node_cpus(self->n0, &c0) || !pm_node_cpus(self->n1, &c1))
		SKIP(return, "node %d or %d has no CPUs", self->n0, self->n1);
	status = calloc(n, sizeof(int));
	ASSERT_NE(NULL, status);
	/* First touch on n0. */
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(c0), &c0));
	buf = pm_map(LEN, MAP_PRIVATE | MAP_ANONYMOUS);
	ASSERT_NE(NULL, buf);
	pm_fill(buf, LEN, 81);
	ASSERT_EQ(0, pm_move(buf, n, self->psz, self->n0, status, MPOL_MF_MOVE));
	ASSERT_EQ(-1, pm_first_status_not(status, n, self->n0));
	before = pm_vmstat("numa_pages_migrated");
	/* Now run on n1 only and keep reading the memory. */
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(c1), &c1));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		for (i = 0; i < LEN; i += 64)
			sum += buf[i];
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) % 2 == 0 || t.tv_sec - t0.tv_sec >= LIMIT_S) {
			ASSERT_EQ(0, pm_where(buf, n, self->psz, status));
			for (i = on_n1 = 0; i < n; i++)
				on_n1 += status[i] == self->n1;
			if (on_n1 >= n / 2 || t.tv_sec - t0.tv_sec >= LIMIT_S)
				break;
		}
	}
	after = pm_vmstat("numa_pages_migrated");
	TH_LOG("%lu of %lu pages on node %d after %ld s; numa_pages_migrated %ld -> %ld",
	       on_n1, n, self->n1, (long)(t.tv_sec - t0.tv_sec), before, after);
	EXPECT_LE(n / 2, on_n1) {
		TH_LOG("expected at least half the pages on node %d within %d s",
		       self->n1, LIMIT_S);
	}
	EXPECT_LT(before, after);
	EXPECT_EQ(-1, pm_first_bad(buf, LEN, 81));
	(void)sum;
	munmap(buf, LEN);
	free(status);
}

TEST_HARNESS_MAIN
