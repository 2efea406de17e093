// SPDX-License-Identifier: GPL-2.0
/*
 * Transparent huge pages move between two nodes: whole (one PMD
 * migration entry, the page is still a THP on the target node), and,
 * when the target node has no free 2 MiB block, split into base pages
 * that still all move (thp_migration_split grows). Every byte is checked.
 *
 * To take the huge blocks away from the target node while leaving it
 * free base pages, the split test fills 160 MiB of node B with mlocked
 * base pages and frees every other one (compact_unevictable_allowed=0,
 * so that compaction cannot undo it), then moves every free 2 MiB block
 * of node B into its hugetlb pool. The test skips, after checking the
 * contents, if node B still found a huge page for the THPs.
 *
 * And THPs moving back and forth while readers fault on their PMD
 * migration entries: threads of this process, or children that share
 * the THPs after fork.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "pm_readers.h"

#define HPSZ		(2UL << 20)
#define NR_THP		2
#define SEED		51
#define FILLER		(160UL << 20)	/* fragmented filler on node B */
#define CUA		"/proc/sys/vm/compact_unevictable_allowed"
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

FIXTURE(thp)
{
	int node_a, node_b;
	size_t psz, len, npages;
	char *raw, *buf;
	int *status;
	/* split test state */
	char hp_path[128];
	long hp_orig, cua_orig;
	char *filler;
	size_t filler_len;
};

FIXTURE_SETUP(thp)
{
	char knob[128];

	self->hp_orig = -1;
	self->cua_orig = -1;
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	if (pm_read_str(THP_ENABLED, knob, sizeof(knob)) < 0)
		SKIP(return, "no THP (CONFIG_TRANSPARENT_HUGEPAGE)");
	if (strstr(knob, "[never]"))
		SKIP(return, "THP is disabled: %s", knob);
	self->psz = getpagesize();
	self->len = NR_THP * HPSZ;
	self->npages = self->len / self->psz;
	self->status = calloc(self->npages, sizeof(int));
	ASSERT_NE(NULL, self->status);
	self->raw = mmap(NULL, self->len + HPSZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->raw);
	self->buf = (char *)(((uintptr_t)self->raw + HPSZ - 1) & ~(HPSZ - 1));
	ASSERT_EQ(0, madvise(self->buf, self->len, MADV_HUGEPAGE));
}

FIXTURE_TEARDOWN(thp)
{
	if (self->raw && self->raw != MAP_FAILED)
		munmap(self->raw, self->len + HPSZ);
	if (self->filler)
		munmap(self->filler, self->filler_len);
	if (self->hp_orig >= 0 && pm_write_long(self->hp_path, self->hp_orig))
		TH_LOG("could not restore %s to %ld", self->hp_path,
		       self->hp_orig);
	if (self->cua_orig >= 0 && pm_write_long(CUA, self->cua_orig))
		TH_LOG("could not restore %s", CUA);
	free(self->status);
}

/*
 * Count the subpages of the buffer that are (thp=1) or are not THP.
 * Base pages on node B may be in kcompactd's hands after the pool grew:
 * look through its migration entries rather than count them as neither.
 */
static long count_thp(FIXTURE_DATA(thp) *self, int thp)
{
	uint64_t f;
	size_t i;
	long n = 0;

	for (i = 0; i < self->npages; i++) {
		if (pm_kpageflags_touch(self->buf + i * self->psz, &f))
			continue;
		if (!!(f & PM_KPF(KPF_THP)) == thp)
			n++;
	}
	return n;
}

/* Fault the THPs in on node A; 0, or 1 when no THP could be had. */
static int make_thps(struct __test_metadata *_metadata,
		     FIXTURE_DATA(thp) *self)
{
	pm_fill(self->buf, self->len, SEED);
	if (count_thp(self, 1) != (long)self->npages)
		return 1;
	PM_MOVE_OK(self->buf, NR_THP, HPSZ, self->node_a, self->status, 0,
		   "initial placement of the THPs");
	PM_ASSERT_WHERE(self->buf, self->npages, self->psz, self->node_a,
			self->status, "initial placement");
	return count_thp(self, 1) != (long)self->npages;
}

TEST_F_TIMEOUT(thp, move_whole, 90)
{
	long succ0, split0;
	int r;

	PM_RETURN_IF_SKIPPED();
	if (make_thps(_metadata, self))
		SKIP(return, "could not get %d THPs on node %d", NR_THP,
		     self->node_a);
	for (r = 0; r < 4; r++) {
		int to = (r & 1) ? self->node_a : self->node_b;

		succ0 = pm_vmstat("thp_migration_success");
		split0 = pm_vmstat("thp_migration_split");
		/* One address per THP: the head. */
		PM_MOVE_OK(self->buf, NR_THP, HPSZ, to, self->status, 0,
			   "THP move");
		PM_ASSERT_WHERE(self->buf, self->npages, self->psz, to,
				self->status, "every 4K subpage");
		ASSERT_EQ((long)self->npages, count_thp(self, 1))
			TH_LOG("round %d: only %ld of %zu subpages are still THP on node %d",
			       r, count_thp(self, 1), self->npages, to);
		ASSERT_LE(succ0 + NR_THP, pm_vmstat("thp_migration_success"))
			TH_LOG("thp_migration_success %ld -> %ld, expected +%d",
			       succ0, pm_vmstat("thp_migration_success"), NR_THP);
		ASSERT_EQ(split0, pm_vmstat("thp_migration_split"));
		PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
				  "after whole THP move");
	}
}

/*
 * The THPs go back and forth between the nodes while readers verify
 * them (pm_move_under_readers()); they must end whole, on node A, with
 * every byte intact.
 */
static void move_thps_under_readers(struct __test_metadata *_metadata,
				    FIXTURE_DATA(thp) *self, bool children)
{
	long rounds;

	if (make_thps(_metadata, self))
		SKIP(return, "could not get %d THPs on node %d", NR_THP,
		     self->node_a);
	rounds = pm_move_under_readers(_metadata, self->buf, NR_THP, HPSZ,
				       self->node_a, self->node_b, SEED,
				       children, pm_race_seconds(3),
				       self->status);
	ASSERT_LE(2, rounds);
	PM_ASSERT_WHERE(self->buf, self->npages, self->psz, self->node_a,
			self->status, "every 4K subpage after the moves");
	ASSERT_EQ((long)self->npages, count_thp(self, 1))
		TH_LOG("only %ld of %zu subpages are still THP after %ld rounds",
		       count_thp(self, 1), self->npages, rounds);
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "after the moves under readers");
	TH_LOG("%ld rounds", rounds);
}

TEST_F_TIMEOUT(thp, move_while_threads_read, 90)
{
	PM_RETURN_IF_SKIPPED();
	move_thps_under_readers(_metadata, self, false);
}

TEST_F_TIMEOUT(thp, move_while_children_read, 90)
{
	PM_RETURN_IF_SKIPPED();
	move_thps_under_readers(_metadata, self, true);
}

static void log_buddyinfo(struct __test_metadata *_metadata, int node)
{
	FILE *f = fopen("/proc/buddyinfo", "r");
	char line[512], tag[32];

	if (!f)
		return;
	snprintf(tag, sizeof(tag), "Node %d,", node);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, tag, strlen(tag))) {
			line[strcspn(line, "\n")] = 0;
			TH_LOG("%s", line);
		}
	fclose(f);
}

TEST_F_TIMEOUT(thp, split_when_no_huge_target, 120)
{
	long got, succ0, split0;
	long long node_free = 0;
	unsigned long mask;
	size_t i;

	PM_RETURN_IF_SKIPPED();
	if (make_thps(_metadata, self))
		SKIP(return, "could not get %d THPs on node %d", NR_THP,
		     self->node_a);
	pm_node_huge_path(self->hp_path, sizeof(self->hp_path), self->node_b,
			  "nr_hugepages");
	if (pm_read_long(self->hp_path) < 0)
		SKIP(return, "no %s (CONFIG_HUGETLBFS)", self->hp_path);
	if (pm_read_long(CUA) < 0)
		SKIP(return, "no %s (CONFIG_COMPACTION)", CUA);

	/* Compaction must not move the mlocked filler pages. */
	self->cua_orig = pm_read_long(CUA);
	ASSERT_EQ(0, pm_write_long(CUA, 0));

	/*
	 * A filler of mlocked base pages on node B, every other page of it
	 * freed: plenty of free memory on node B for the pieces of a split
	 * THP, but none of it in a free 2 MiB block.
	 */
	self->filler_len = FILLER;
	self->filler = mmap(NULL, self->filler_len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->filler);
	ASSERT_EQ(0, madvise(self->filler, self->filler_len, MADV_NOHUGEPAGE));
	mask = 1UL << self->node_b;
	ASSERT_EQ(0, mbind(self->filler, self->filler_len, MPOL_BIND, &mask,
			   sizeof(mask) * 8, 0))
		TH_LOG("mbind: %s", strerror(errno));
	ASSERT_EQ(0, mlock(self->filler, self->filler_len))
		TH_LOG("mlock: %s", strerror(errno));
	for (i = 0; i < self->filler_len; i += 2 * self->psz)
		ASSERT_EQ(0, munmap(self->filler + i, self->psz));
	/* A no-op move drains the LRU and mlock batches everywhere. */
	PM_MOVE_OK(self->buf, NR_THP, HPSZ, self->node_a, self->status, 0,
		   "no-op move to drain the LRU");

	/* Then every other free 2 MiB block of node B into hugetlb. */
	self->hp_orig = pm_read_long(self->hp_path);
	pm_write_long(self->hp_path, self->hp_orig + 100000);
	got = pm_read_long(self->hp_path);
	numa_node_size64(self->node_b, &node_free);
	TH_LOG("node %d: hugetlb pool %ld -> %ld, free %lld kB", self->node_b,
	       self->hp_orig, got, node_free / 1024);
	log_buddyinfo(_metadata, self->node_b);

	succ0 = pm_vmstat("thp_migration_success");
	split0 = pm_vmstat("thp_migration_split");
	PM_MOVE_OK(self->buf, NR_THP, HPSZ, self->node_b, self->status, 0,
		   "THP move to a node without free huge blocks");
	PM_ASSERT_WHERE(self->buf, self->npages, self->psz, self->node_b,
			self->status, "every 4K subpage after the move");
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "after the move to a node without free huge blocks");
	TH_LOG("thp_migration_split +%ld, thp_migration_success +%ld",
	       pm_vmstat("thp_migration_split") - split0,
	       pm_vmstat("thp_migration_success") - succ0);
	if (pm_vmstat("thp_migration_split") == split0 &&
	    pm_vmstat("thp_migration_success") >= succ0 + NR_THP &&
	    count_thp(self, 1) == (long)self->npages)
		SKIP(return, "node %d still found a free 2 MiB block: the THPs moved whole, the split path was not reached",
		     self->node_b);
	ASSERT_LE(split0 + NR_THP, pm_vmstat("thp_migration_split"))
		TH_LOG("thp_migration_split %ld -> %ld, expected +%d",
		       split0, pm_vmstat("thp_migration_split"), NR_THP);
	ASSERT_EQ(0, count_thp(self, 1))
		TH_LOG("subpages are still THP after the split move");
	ASSERT_EQ((long)self->npages, count_thp(self, 0))
		TH_LOG("%ld of %zu subpages are mapped as base pages after the split move",
		       count_thp(self, 0), self->npages);
}

TEST_HARNESS_MAIN
