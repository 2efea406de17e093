// SPDX-License-Identifier: GPL-2.0
/*
 * mlocked anonymous pages move between two nodes and are still mlocked
 * and unevictable afterwards (VmLck unchanged, every page PG_mlocked and
 * on the unevictable list), with every byte intact.  A page mlocked by
 * two processes keeps both mlocks across a move.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "pm_test.h"

#define NR_PAGES	256
#define SEED		71
#define PM_KPF_MLOCKED	33

FIXTURE(mlocked)
{
	int node_a, node_b;
	size_t psz, len;
	char *buf;
	int status[NR_PAGES];
};

FIXTURE_SETUP(mlocked)
{
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	self->psz = getpagesize();
	self->len = NR_PAGES * self->psz;
	self->buf = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	ASSERT_EQ(0, madvise(self->buf, self->len, MADV_NOHUGEPAGE));
	pm_fill(self->buf, self->len, SEED);
	PM_MOVE_OK(self->buf, NR_PAGES, self->psz, self->node_a, self->status,
		   0, "initial placement");
	ASSERT_EQ(0, mlock(self->buf, self->len)) TH_LOG("mlock: %s",
							 strerror(errno));
}

FIXTURE_TEARDOWN(mlocked)
{
	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, self->len);
}

/* Every page of the NR_PAGES at @buf is PG_mlocked and unevictable. */
static void check_pages_locked(struct __test_metadata *_metadata, char *buf,
			       size_t psz, int node, const char *when)
{
	uint64_t f;
	int i;

	for (i = 0; i < NR_PAGES; i++) {
		ASSERT_EQ(0, pm_kpageflags(buf + i * psz, &f))
			TH_LOG("%s: page %d not present", when, i);
		ASSERT_NE(0, f & PM_KPF(PM_KPF_MLOCKED))
			TH_LOG("%s: page %d on node %d is not mlocked (kpageflags 0x%llx)",
			       when, i, node, (unsigned long long)f);
		ASSERT_NE(0, f & PM_KPF(KPF_UNEVICTABLE))
			TH_LOG("%s: page %d on node %d is not unevictable (kpageflags 0x%llx)",
			       when, i, node, (unsigned long long)f);
	}
}

static void check_locked(struct __test_metadata *_metadata,
			 FIXTURE_DATA(mlocked) *self, int node,
			 const char *when)
{
	long vmlck = pm_status_kb("VmLck");

	/*
	 * A second move to the same node moves nothing but drains the
	 * per-CPU LRU and mlock batches, so the flags below are settled.
	 */
	PM_MOVE_OK(self->buf, NR_PAGES, self->psz, node, self->status, 0,
		   "no-op move to settle the LRU");
	ASSERT_LE((long)(self->len / 1024), vmlck)
		TH_LOG("%s: VmLck %ld kB, expected at least %zu kB", when,
		       vmlck, self->len / 1024);
	check_pages_locked(_metadata, self->buf, self->psz, node, when);
}

TEST_F_TIMEOUT(mlocked, move_mlocked_pages, 90)
{
	long mlocked0;
	int r;

	PM_RETURN_IF_SKIPPED();
	check_locked(_metadata, self, self->node_a, "before move");
	mlocked0 = pm_meminfo_kb("Mlocked");
	for (r = 0; r < 4; r++) {
		int to = (r & 1) ? self->node_a : self->node_b;

		PM_MOVE_OK(self->buf, NR_PAGES, self->psz, to, self->status, 0,
			   "mlocked pages");
		PM_ASSERT_WHERE(self->buf, NR_PAGES, self->psz, to,
				self->status, "query");
		check_locked(_metadata, self, to, "after move");
		PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
				  "after move");
	}
	/* The system-wide count did not lose our pages. */
	ASSERT_LE(mlocked0 - 64, pm_meminfo_kb("Mlocked"))
		TH_LOG("Mlocked %ld kB -> %ld kB", mlocked0,
		       pm_meminfo_kb("Mlocked"));
	/* Writes after the moves still land. */
	pm_fill(self->buf, self->len, SEED + 1);
	PM_ASSERT_CONTENT(self->buf, self->len, SEED + 1, self->psz,
			  "rewritten after moves");
}

/*
 * Shared pages mlocked by this process and a child move (MOVE_ALL); the
 * moved pages must count both mlocks, so that when this process
 * munlocks them the child's mlock still keeps them unevictable.
 */
TEST_F_TIMEOUT(mlocked, two_lockers_keep_one_after_move, 90)
{
	int ready[2], go[2], st;
	char *shared, c = 0;
	pid_t pid;

	PM_RETURN_IF_SKIPPED();
	shared = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shared);
	pm_fill(shared, self->len, SEED + 2);
	PM_MOVE_OK(shared, NR_PAGES, self->psz, self->node_a, self->status, 0,
		   "initial placement of the shared pages");
	ASSERT_EQ(0, mlock(shared, self->len));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		c = mlock(shared, self->len) ? 'n' : 'y';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		/* Until the parent says so, or dies. */
		close(go[1]);
		_exit(read(go[0], &c, 1) == 1 ? 0 : 1);
	}
	close(go[0]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ('y', c) TH_LOG("the child could not mlock");

	PM_MOVE_OK(shared, NR_PAGES, self->psz, self->node_b, self->status,
		   MPOL_MF_MOVE_ALL, "pages mlocked by two processes");
	PM_ASSERT_WHERE(shared, NR_PAGES, self->psz, self->node_b,
			self->status, "query");
	ASSERT_EQ(0, munlock(shared, self->len));
	/* A no-op move drains the per-CPU batches: see check_locked(). */
	PM_MOVE_OK(shared, NR_PAGES, self->psz, self->node_b, self->status,
		   MPOL_MF_MOVE_ALL, "no-op move to settle the LRU");
	check_pages_locked(_metadata, shared, self->psz, self->node_b,
			   "child's mlock after this process's munlock");
	PM_ASSERT_CONTENT(shared, self->len, SEED + 2, self->psz,
			  "after the move");

	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	munmap(shared, self->len);
}

TEST_HARNESS_MAIN
