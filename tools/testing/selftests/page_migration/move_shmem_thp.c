// SPDX-License-Identifier: GPL-2.0
/*
 * A shmem THP (a memfd mapped with MADV_HUGEPAGE, shmem_enabled=advise)
 * moves whole to another node, its bytes intact, and the per-node
 * ShmemHugePages counters move with it: the source node loses exactly
 * its size and the target node gains exactly that.
 *
 * Stock 6.1 moves the NR_SHMEM counter but not NR_SHMEM_THPS, so the
 * source node keeps counting the huge page (fixed upstream later).
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "pm_test.h"

#define HPSZ		(2UL << 20)
#define NR_THP		2
#define SEED		67
#define SHMEM_ENABLED	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"

FIXTURE(shmem_thp)
{
	int node_a, node_b, fd;
	size_t psz, len;
	char *buf;
	char saved[128];
	int status[NR_THP];
	int sub_status[NR_THP * (HPSZ / 4096)];
};

/* The bracketed choice of shmem_enabled ("[never] ..." gives never). */
static int shmem_enabled_now(char *out, size_t len)
{
	char knob[128], *open, *close;

	if (pm_read_str(SHMEM_ENABLED, knob, sizeof(knob)) < 0)
		return -1;
	open = strchr(knob, '[');
	close = open ? strchr(open, ']') : NULL;
	if (!close)
		return -1;
	*close = '\0';
	snprintf(out, len, "%s", open + 1);
	return 0;
}

FIXTURE_SETUP(shmem_thp)
{
	unsigned long mask;
	uint64_t f;
	int i;

	self->fd = -1;
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	if (shmem_enabled_now(self->saved, sizeof(self->saved)))
		SKIP(return, "no shmem THP (%s)", SHMEM_ENABLED);
	ASSERT_EQ(0, pm_write_str(SHMEM_ENABLED, "advise"));
	self->psz = getpagesize();
	ASSERT_EQ(4096, (int)self->psz);
	self->len = NR_THP * HPSZ;
	self->fd = memfd_create("move_shmem_thp", 0);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ftruncate(self->fd, self->len));
	/* shmem aligns a mapping that may hold huge pages to their size. */
	self->buf = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	ASSERT_EQ(0, madvise(self->buf, self->len, MADV_HUGEPAGE));
	/*
	 * First touch on node_a itself: an initial move there would already
	 * show stock's counter bug, before the move the test is about.
	 */
	ASSERT_LT(self->node_a, (int)(8 * sizeof(mask)));
	mask = 1UL << self->node_a;
	ASSERT_EQ(0, mbind(self->buf, self->len, MPOL_BIND, &mask,
			   8 * sizeof(mask), 0))
		TH_LOG("mbind(MPOL_BIND node %d): %s", self->node_a,
		       strerror(errno));
	pm_fill(self->buf, self->len, SEED);
	for (i = 0; i < NR_THP; i++)
		if (pm_kpageflags(self->buf + i * HPSZ, &f) ||
		    !(f & PM_KPF(KPF_THP)))
			SKIP(return, "huge page %d of the memfd is not a THP", i);
	PM_MOVE_OK(self->buf, NR_THP, HPSZ, self->node_a, self->status, 0,
		   "initial placement");
}

FIXTURE_TEARDOWN(shmem_thp)
{
	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, self->len);
	if (self->fd >= 0)
		close(self->fd);
	if (self->saved[0] && pm_write_str(SHMEM_ENABLED, self->saved))
		TH_LOG("could not restore %s to %s", SHMEM_ENABLED,
		       self->saved);
}

TEST_F(shmem_thp, huge_page_counters_follow_the_move)
{
	long a0, b0, a1, b1, moved_kb = NR_THP * (HPSZ >> 10);
	uint64_t f;
	int i;

	PM_RETURN_IF_SKIPPED();
	a0 = pm_node_meminfo_kb(self->node_a, "ShmemHugePages");
	b0 = pm_node_meminfo_kb(self->node_b, "ShmemHugePages");
	ASSERT_LE(moved_kb, a0)
		TH_LOG("node %d counts %ld kB of ShmemHugePages before the move, holding %ld kB",
		       self->node_a, a0, moved_kb);
	ASSERT_LE(0, b0);

	PM_MOVE_OK(self->buf, NR_THP, HPSZ, self->node_b, self->status, 0,
		   "shmem THPs");
	PM_ASSERT_WHERE(self->buf, self->len / self->psz, self->psz,
			self->node_b, self->sub_status,
			"every subpage after the move");
	for (i = 0; i < NR_THP; i++) {
		ASSERT_EQ(0, pm_kpageflags(self->buf + i * HPSZ, &f));
		EXPECT_TRUE(f & PM_KPF(KPF_THP))
			TH_LOG("huge page %d was split by the move", i);
	}
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "shmem THPs after the move");

	a1 = pm_node_meminfo_kb(self->node_a, "ShmemHugePages");
	b1 = pm_node_meminfo_kb(self->node_b, "ShmemHugePages");
	TH_LOG("ShmemHugePages: node %d %ld -> %ld kB, node %d %ld -> %ld kB",
	       self->node_a, a0, a1, self->node_b, b0, b1);
	EXPECT_EQ(a0 - moved_kb, a1)
		TH_LOG("node %d (source) should have lost %ld kB", self->node_a,
		       moved_kb);
	EXPECT_EQ(b0 + moved_kb, b1)
		TH_LOG("node %d (target) should have gained %ld kB",
		       self->node_b, moved_kb);
}

TEST_HARNESS_MAIN
