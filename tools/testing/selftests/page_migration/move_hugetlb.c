// SPDX-License-Identifier: GPL-2.0
/*
 * hugetlb pages (2 MiB, MAP_HUGETLB) move between two nodes whose pools
 * the test grows, and every byte survives; the pools are put back.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "pm_test.h"

#define HPSZ		(2UL << 20)
#define NR_HUGE		2
#define EXTRA		(NR_HUGE + 2)	/* pool pages added on each node */
#define SEED		61
#define HP_FMT	"/sys/devices/system/node/node%d/hugepages/hugepages-2048kB/%s"

FIXTURE(hugetlb)
{
	int node_a, node_b;
	size_t psz, npages;
	char nr_path[2][128];
	long orig[2];
	char *buf;
	int *status;
};

static long node_hp(int node, const char *what)
{
	char path[160];

	snprintf(path, sizeof(path), HP_FMT, node, what);
	return pm_read_long(path);
}

FIXTURE_SETUP(hugetlb)
{
	int i, nodes[2];

	self->orig[0] = self->orig[1] = -1;
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	nodes[0] = self->node_a;
	nodes[1] = self->node_b;
	self->psz = getpagesize();
	self->npages = NR_HUGE * HPSZ / self->psz;
	self->status = calloc(self->npages, sizeof(int));
	ASSERT_NE(NULL, self->status);
	for (i = 0; i < 2; i++) {
		snprintf(self->nr_path[i], sizeof(self->nr_path[i]), HP_FMT,
			 nodes[i], "nr_hugepages");
		if (pm_read_long(self->nr_path[i]) < 0)
			SKIP(return, "no 2 MiB hugetlb pool on node %d", nodes[i]);
	}
	/* Global state from here: no ASSERT, the teardown restores it. */
	for (i = 0; i < 2; i++) {
		self->orig[i] = pm_read_long(self->nr_path[i]);
		pm_write_long(self->nr_path[i], self->orig[i] + EXTRA);
	}
}

FIXTURE_TEARDOWN(hugetlb)
{
	int i;

	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, NR_HUGE * HPSZ);
	for (i = 0; i < 2; i++)
		if (self->orig[i] >= 0 &&
		    pm_write_long(self->nr_path[i], self->orig[i]))
			TH_LOG("could not restore %s to %ld", self->nr_path[i],
			       self->orig[i]);
	free(self->status);
}

TEST_F_TIMEOUT(hugetlb, move_huge_pages, 90)
{
	unsigned long mask;
	uint64_t f;
	size_t i;
	int r;

	PM_RETURN_IF_SKIPPED();
	if (node_hp(self->node_a, "free_hugepages") < NR_HUGE + 1 ||
	    node_hp(self->node_b, "free_hugepages") < NR_HUGE + 1)
		SKIP(return, "free huge pages: node %d %ld, node %d %ld; need %d each",
		     self->node_a, node_hp(self->node_a, "free_hugepages"),
		     self->node_b, node_hp(self->node_b, "free_hugepages"),
		     NR_HUGE + 1);
	self->buf = mmap(NULL, NR_HUGE * HPSZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf) TH_LOG("mmap MAP_HUGETLB: %s",
						strerror(errno));
	mask = 1UL << self->node_a;
	ASSERT_EQ(0, mbind(self->buf, NR_HUGE * HPSZ, MPOL_BIND, &mask,
			   sizeof(mask) * 8, 0));
	pm_fill(self->buf, NR_HUGE * HPSZ, SEED);
	PM_ASSERT_WHERE(self->buf, self->npages, self->psz, self->node_a,
			self->status, "initial placement");
	for (i = 0; i < self->npages; i += 97) {
		ASSERT_EQ(0, pm_kpageflags(self->buf + i * self->psz, &f));
		ASSERT_NE(0, f & PM_KPF(KPF_HUGE))
			TH_LOG("subpage %zu is not a hugetlb page (0x%llx)", i,
			       (unsigned long long)f);
	}
	/* Allow node B in the policy so that the pages may live there. */
	mask = (1UL << self->node_a) | (1UL << self->node_b);
	ASSERT_EQ(0, mbind(self->buf, NR_HUGE * HPSZ, MPOL_BIND, &mask,
			   sizeof(mask) * 8, 0));

	for (r = 0; r < 4; r++) {
		int to = (r & 1) ? self->node_a : self->node_b;
		long free_to = node_hp(to, "free_hugepages");

		PM_MOVE_OK(self->buf, NR_HUGE, HPSZ, to, self->status, 0,
			   "hugetlb move (one address per huge page)");
		PM_ASSERT_WHERE(self->buf, self->npages, self->psz, to,
				self->status, "every 4K piece of the huge pages");
		ASSERT_EQ(free_to - NR_HUGE, node_hp(to, "free_hugepages"))
			TH_LOG("round %d: node %d free huge pages %ld -> %ld, expected -%d",
			       r, to, free_to, node_hp(to, "free_hugepages"),
			       NR_HUGE);
		for (i = 0; i < self->npages; i += 97) {
			ASSERT_EQ(0, pm_kpageflags(self->buf + i * self->psz, &f));
			ASSERT_NE(0, f & PM_KPF(KPF_HUGE));
		}
		PM_ASSERT_CONTENT(self->buf, NR_HUGE * HPSZ, SEED, self->psz,
				  "after hugetlb move");
	}
	/* Writing after the moves works and sticks. */
	pm_fill(self->buf, NR_HUGE * HPSZ, SEED + 1);
	PM_MOVE_OK(self->buf, NR_HUGE, HPSZ, self->node_b, self->status, 0,
		   "hugetlb move after rewrite");
	PM_ASSERT_CONTENT(self->buf, NR_HUGE * HPSZ, SEED + 1, self->psz,
			  "rewritten, then moved");
}

TEST_HARNESS_MAIN
