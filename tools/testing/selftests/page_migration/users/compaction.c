// SPDX-License-Identifier: GPL-2.0
/*
 * Compaction migrates pages to rebuild high-order free blocks. We
 * fragment node n1 (fill 80% of its free memory with 4K anon pages
 * bound there, free three pages of every four), compact the node (sysfs
 * node compact, else /proc/sys/vm/compact_memory), and check: at least
 * 16 more order >= 9 free blocks in /proc/buddyinfo for the node,
 * compact_migrate_scanned and pgmigrate_success grew, the node's hugetlb
 * pool reaches 16 pages more than there were free 2 MiB blocks before
 * compaction, and every surviving page kept its contents.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "../../kselftest_harness.h"
#include "users_util.h"

#define MAXNODE		(8 * sizeof(unsigned long) + 1)

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
	long hp_saved;
};

FIXTURE_SETUP(cp)
{
	self->psz = getpagesize();
	self->hp_saved = -1;
	pm_pick_nodes(&self->n0, &self->n1);
	if (self->n0 < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	if (access("/proc/sys/vm/compact_memory", W_OK))
		SKIP(return, "no /proc/sys/vm/compact_memory (CONFIG_COMPACTION)");
	snprintf(self->hp_path, sizeof(self->hp_path),
		 "/sys/devices/system/node/node%d/hugepages/hugepages-2048kB/nr_hugepages",
		 self->n1);
	self->hp_saved = pm_read_long(self->hp_path);
	if (self->hp_saved < 0)
		SKIP(return, "no %s", self->hp_path);
	ASSERT_EQ(0, pm_write_long(self->hp_path, 0));
}

FIXTURE_TEARDOWN(cp)
{
	if (self->hp_saved >= 0)
		pm_write_long(self->hp_path, self->hp_saved);
}

/* "Node N MemFree:  X kB" of the node's meminfo, in bytes; -1 if absent. */
static long node_free_bytes(int node)
{
	char path[96], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo",
		 node);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "MemFree:");

		if (p) {
			kb = strtol(p + 8, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

TEST_F_TIMEOUT(cp, compaction_rebuilds_high_order_blocks, 240)
{
	unsigned long n, i, mask;
	long h1, h2, scanned1, scanned2, mig1, mig2, got, target, freeb;
	size_t region;
	char path[128];
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
	/* Keep one page in four: 3-page holes in every pageblock. */
	for (i = 0; i < n; i += 4)
		*(unsigned long *)(buf + i * self->psz) = i * 2654435761UL;
	for (i = 0; i < n; i += 4)
		ASSERT_EQ(0, madvise(buf + (i + 1) * self->psz, 3 * self->psz,
				     MADV_DONTNEED));
	h1 = high_order_free(self->n1);
	scanned1 = pm_vmstat("compact_migrate_scanned");
	mig1 = pm_vmstat("pgmigrate_success");
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/compact",
		 self->n1);
	if (pm_write_str(path, "1"))
		ASSERT_EQ(0, pm_write_str("/proc/sys/vm/compact_memory", "1"));
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
		unsigned long want = i % 4 ? 0 : i * 2654435761UL;

		ASSERT_EQ(want, *(unsigned long *)(buf + i * self->psz)) {
			TH_LOG("page %lu: %#lx, expected %#lx", i,
			       *(unsigned long *)(buf + i * self->psz), want);
		}
	}
	munmap(buf, region);
}

TEST_HARNESS_MAIN
