// SPDX-License-Identifier: GPL-2.0
/*
 * Compaction migrates pages to rebuild high-order free blocks. We
 * fragment node n1 (fill 80% of its free memory with 4K anon pages
 * bound there, free three pages of every four, the kept one at an offset
 * that varies between groups), compact the node (sysfs node compact,
 * else /proc/sys/vm/compact_memory), and check: at least
 * 16 more order >= 9 free blocks in /proc/buddyinfo for the node,
 * compact_migrate_scanned and pgmigrate_success grew, the node's hugetlb
 * pool reaches 16 pages more than there were free 2 MiB blocks before
 * compaction, and every surviving page kept its contents.
 *
 * Non-LRU movable pages take part: zsmalloc pages (behind zram0) are
 * scattered over node n1 by allocating them between anon pages, the
 * anon pages are freed, and huge pages on n1 can only be had again by
 * migrating the zsmalloc pages out of the way; zram's data survives.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "../../kselftest_harness.h"
#include "users_util.h"
#include "../pm_zram.h"

#define MAXNODE		(8 * sizeof(unsigned long) + 1)
#define PROACTIVE	"/proc/sys/vm/compaction_proactiveness"
/*
 * zram blocks written per 2 MiB of anon.  A zspage holds many blocks, so
 * only every few writes allocate; at 32 a loaded KASAN guest left half
 * the 2 MiB blocks without a zsmalloc page.
 */
#define ZBLK_PER_2M	128

/* Free blocks of order >= 9 on node, counted in 2 MiB units. */
static long high_order_free(int node)
{
	FILE *f = fopen("/proc/buddyinfo", "r");
	char line[512], zone[32];
	long total = 0;
	int nd, off, o;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p;

		if (sscanf(line, "Node %d, zone %31s%n", &nd, zone, &off) != 2 ||
		    nd != node)
			continue;
		p = line + off;
		for (o = 0; o <= 10; o++) {
			long c = strtol(p, &p, 10);

			if (o >= 9)
				total += c << (o - 9);
		}
	}
	fclose(f);
	return total;
}

FIXTURE(cp)
{
	size_t psz;
	int n0, n1;
	char hp_path[128];
	long hp_saved, proactive_saved;
	int zram;
};

FIXTURE_SETUP(cp)
{
	self->psz = getpagesize();
	self->hp_saved = -1;
	self->proactive_saved = -1;
	self->zram = -1;
	pm_pick_nodes(&self->n0, &self->n1);
	if (self->n0 < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	if (access("/proc/sys/vm/compact_memory", W_OK))
		SKIP(return, "no /proc/sys/vm/compact_memory (CONFIG_COMPACTION)");
	pm_node_huge_path(self->hp_path, sizeof(self->hp_path), self->n1,
			  "nr_hugepages");
	self->hp_saved = pm_read_long(self->hp_path);
	if (self->hp_saved < 0)
		SKIP(return, "no %s", self->hp_path);
	ASSERT_EQ(0, pm_write_long(self->hp_path, 0));
}

FIXTURE_TEARDOWN(cp)
{
	if (self->hp_saved >= 0)
		pm_write_long(self->hp_path, self->hp_saved);
	if (self->proactive_saved >= 0)
		pm_write_long(PROACTIVE, self->proactive_saved);
	if (self->zram >= 0 && pm_zram_reset(self->zram))
		TH_LOG("zram0 reset failed");
}

/* The node's MemFree in bytes; -1 if absent. */
static long node_free_bytes(int node)
{
	long kb = pm_node_meminfo_kb(node, "MemFree");

	return kb < 0 ? -1 : kb * 1024;
}

/*
 * The page of 4-page group @g that stays.  It varies between groups:
 * pages are allocated in pfn order, so a fixed offset puts every kept
 * page at one pfn residue mod 4, and when that residue is 0 the free
 * scanner, which samples pfns at a stride of up to 32 after finding
 * nothing, sees only kept pages and meets the migrate scanner early.
 */
static unsigned long kept_in_group(unsigned long g)
{
	return (g * 0x9e3779b97f4a7c15UL) >> 62;
}

static bool page_kept(unsigned long i)
{
	return i % 4 == kept_in_group(i / 4);
}

/* Free the pages of group @g around its kept one. */
static int free_group_holes(char *buf, size_t psz, unsigned long g)
{
	unsigned long first = 4 * g, kept = first + kept_in_group(g);

	if (kept > first &&
	    madvise(buf + first * psz, (kept - first) * psz, MADV_DONTNEED))
		return -1;
	if (kept < first + 3 &&
	    madvise(buf + (kept + 1) * psz, (first + 3 - kept) * psz,
		    MADV_DONTNEED))
		return -1;
	return 0;
}

/* Compact one node: its sysfs compact file, else all of memory. */
static void compact_node(struct __test_metadata *_metadata, int node)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/compact",
		 node);
	if (pm_write_str(path, "1"))
		ASSERT_EQ(0, pm_write_str("/proc/sys/vm/compact_memory", "1"));
}

TEST_F_TIMEOUT(cp, compaction_rebuilds_high_order_blocks, 480)
{
	unsigned long n, i, mask;
	long h1, h2, scanned1, scanned2, mig1, mig2, got, target, freeb;
	size_t region;
	char *buf;

	PM_RETURN_IF_SKIPPED();
	freeb = node_free_bytes(self->n1);
	ASSERT_LT(0, freeb);
	/* Most of the node, in whole 2 MiB units. */
	region = (size_t)(freeb / 10 * 8) & ~((2UL << 20) - 1);
	n = region / self->psz;
	mask = 1UL << self->n1;
	ASSERT_EQ(0, set_mempolicy(MPOL_BIND, &mask, MAXNODE));
	buf = mmap(NULL, region, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_EQ(0, set_mempolicy(MPOL_DEFAULT, NULL, 0));
	ASSERT_NE(MAP_FAILED, buf);
	/* Keep one page in four: holes of 3 pages in every pageblock. */
	for (i = 0; i < n; i++)
		if (page_kept(i))
			pm_fill(buf + i * self->psz, self->psz, i);
	for (i = 0; i < n / 4; i++)
		ASSERT_EQ(0, free_group_holes(buf, self->psz, i));
	h1 = high_order_free(self->n1);
	scanned1 = pm_vmstat("compact_migrate_scanned");
	mig1 = pm_vmstat("pgmigrate_success");
	compact_node(_metadata, self->n1);
	h2 = high_order_free(self->n1);
	scanned2 = pm_vmstat("compact_migrate_scanned");
	mig2 = pm_vmstat("pgmigrate_success");
	TH_LOG("node %d: %lu MiB fragmented; order>=9 free (2M units) %ld -> %ld; compact_migrate_scanned %ld -> %ld; pgmigrate_success %ld -> %ld",
	       self->n1, region >> 20, h1, h2, scanned1, scanned2, mig1, mig2);
	EXPECT_LE(h1 + 16, h2) {
		TH_LOG("expected at least 16 more 2 MiB free blocks");
	}
	EXPECT_LT(scanned1, scanned2);
	EXPECT_LT(mig1, mig2);
	/* More huge pages than there were free 2 MiB blocks before. */
	target = h1 + 16;
	ASSERT_EQ(0, pm_write_long(self->hp_path, target));
	got = pm_read_long(self->hp_path);
	EXPECT_EQ(target, got) {
		TH_LOG("node %d hugepages: %ld of %ld after compaction",
		       self->n1, got, target);
	}
	ASSERT_EQ(0, pm_write_long(self->hp_path, 0));
	for (i = 0; i < n; i++) {
		char *page = buf + i * self->psz;
		long bad = !page_kept(i) ? (*(long *)page ? 0 : -1) :
					   pm_first_bad(page, self->psz, i);

		ASSERT_EQ(-1, bad)
			TH_LOG("page %lu (%s) differs at byte %ld", i,
			       page_kept(i) ? "kept" : "freed, reads as zero",
			       bad);
	}
	munmap(buf, region);
}

/*
 * Fill 60% of n1's free memory with anon pages, writing zram blocks
 * between them so that zsmalloc pages land in most 2 MiB blocks; then
 * free the anon pages. Returns the number of 2 MiB blocks filled.
 */
static unsigned long scatter_zsmalloc(struct __test_metadata *_metadata,
				      FIXTURE_DATA(cp) *self,
				      unsigned char *io)
{
	unsigned long per = (2UL << 20) / self->psz, blocks, b, i, z = 0;
	unsigned long mask = 1UL << self->n1;
	size_t region;
	char *buf;

	region = (size_t)(node_free_bytes(self->n1) / 10 * 6) &
		 ~((2UL << 20) - 1);
	blocks = region >> 21;
	buf = pm_map(region, MAP_PRIVATE | MAP_ANONYMOUS);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, madvise(buf, region, MADV_NOHUGEPAGE));
	/* zs_malloc() and anon faults share the CPU's free lists. */
	ASSERT_EQ(0, numa_run_on_node(self->n1));
	ASSERT_EQ(0, set_mempolicy(MPOL_BIND, &mask, MAXNODE));
	for (b = 0; b < blocks; b++) {
		for (i = 0; i < per; i++) {
			buf[(b * per + i) * self->psz] = 1;
			if (i % (per / ZBLK_PER_2M))
				continue;
			pm_zram_block(io, z);
			if (pwrite(self->zram, io, PM_ZRAM_BLK,
				   z * PM_ZRAM_BLK) != PM_ZRAM_BLK)
				break;
			z++;
		}
	}
	set_mempolicy(MPOL_DEFAULT, NULL, 0);
	numa_run_on_node(-1);
	munmap(buf, region);
	ASSERT_EQ(blocks * ZBLK_PER_2M, z)
		TH_LOG("zram write of block %lu: %s", z, strerror(errno));
	return blocks;
}

TEST_F_TIMEOUT(cp, zsmalloc_pages_make_way_for_huge_pages, 480)
{
	long h0, h1, h2, got, target, mig0, mig1, zpages, bad;
	unsigned long blocks;
	unsigned char *io;

	PM_RETURN_IF_SKIPPED();
	self->zram = pm_zram_start("512M");
	if (self->zram == -ENODEV)
		SKIP(return, "no zram0 (CONFIG_ZRAM)");
	ASSERT_LE(0, self->zram) TH_LOG("zram0: %s", strerror(-self->zram));
	ASSERT_EQ(0, posix_memalign((void **)&io, 4096, PM_ZRAM_BLK));
	/* No background compaction between the measurements. */
	self->proactive_saved = pm_read_long(PROACTIVE);
	if (self->proactive_saved > 0)
		ASSERT_EQ(0, pm_write_long(PROACTIVE, 0));

	h0 = high_order_free(self->n1);
	blocks = scatter_zsmalloc(_metadata, self, io);
	h1 = high_order_free(self->n1);
	zpages = pm_zram_mm_stat(PM_ZRAM_MEM_USED) / (long)self->psz;
	TH_LOG("node %d: order>=9 free (2M units) %ld before, %ld with %ld zsmalloc pages scattered over %lu blocks",
	       self->n1, h0, h1, zpages, blocks);
	ASSERT_GE(h0 - (long)blocks / 2, h1)
		TH_LOG("the zsmalloc pages did not scatter: nothing to show");

	/*
	 * Leave a quarter of the blocks for others (the loaded guest's
	 * loads move pages to n1 too). Without moving zsmalloc pages the
	 * pool stays near h1.
	 */
	target = h0 - (long)blocks / 4;
	mig0 = pm_vmstat("pgmigrate_success");
	compact_node(_metadata, self->n1);
	mig1 = pm_vmstat("pgmigrate_success");
	h2 = high_order_free(self->n1);
	ASSERT_EQ(0, pm_write_long(self->hp_path, target));
	got = pm_read_long(self->hp_path);
	/* h2 is only logged: freed pages may wait on per-cpu lists. */
	TH_LOG("after compaction: order>=9 free %ld, pgmigrate_success +%ld; hugetlb on node %d: %ld of %ld",
	       h2, mig1 - mig0, self->n1, got, target);
	EXPECT_EQ(target, got);
	EXPECT_LE(zpages / 2, mig1 - mig0);
	ASSERT_EQ(0, pm_write_long(self->hp_path, 0));

	bad = pm_zram_first_bad(self->zram, 0, blocks * ZBLK_PER_2M);
	EXPECT_EQ(-1, bad) TH_LOG("zram block %ld differs", bad);
	free(io);
}

TEST_HARNESS_MAIN
