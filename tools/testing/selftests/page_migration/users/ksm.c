// SPDX-License-Identifier: GPL-2.0
/*
 * KSM pages migrate, with merge_across_nodes=1 and =0. After a move the
 * pages stay merged with the right contents; with merge_across_nodes=0
 * the stable tree is put right lazily by ksmd, and meanwhile no page of
 * another node is merged onto the moved (misplaced) KSM page; unmerging
 * gives back private copies with the right contents.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>

#include "../../kselftest_harness.h"
#include "../pm_test.h"

#define KSM			"/sys/kernel/mm/ksm/"
#define NR_PAGES		32
#define WAIT_SCANS		3
#define WAIT_SECONDS		60

static long ksm_read(const char *name)
{
	char path[128], buf[32] = "";
	int fd;

	snprintf(path, sizeof(path), KSM "%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = 0;
	close(fd);
	return strtol(buf, NULL, 10);
}

static int ksm_write(const char *name, long val)
{
	char path[128], buf[32];
	int fd, len, ret;

	snprintf(path, sizeof(path), KSM "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%ld", val);
	ret = write(fd, buf, len) == len ? 0 : -errno;
	close(fd);
	return ret;
}

/* Wait until ksmd has made @scans more full scans. */
static int ksm_wait_scans(int scans)
{
	long target = ksm_read("full_scans") + scans;
	time_t end = time(NULL) + WAIT_SECONDS;

	while (ksm_read("full_scans") < target) {
		if (time(NULL) > end)
			return -1;
		usleep(20000);
	}
	return 0;
}

static int is_ksm(void *addr)
{
	uint64_t f;

	return !pm_kpageflags(addr, &f) && (f & PM_KPF(KPF_KSM));
}

FIXTURE(ksm)
{
	int node_a, node_b;
	size_t psz, len;
	char *r1, *r2, *r3;
	int status[NR_PAGES];
	long saved_merge, saved_run, saved_scan, saved_sleep;
};

FIXTURE_VARIANT(ksm)
{
	int merge_across_nodes;
};

FIXTURE_VARIANT_ADD(ksm, merge_across_nodes_1) { .merge_across_nodes = 1 };
FIXTURE_VARIANT_ADD(ksm, merge_across_nodes_0) { .merge_across_nodes = 0 };

/* Map len bytes on node, filled so page i holds pattern seed + i. */
static char *map_on(int node, size_t len, size_t psz)
{
	struct bitmask *mask = numa_allocate_nodemask();
	char *p;
	size_t i;

	numa_bitmask_setbit(mask, node);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	mbind(p, len, MPOL_BIND, mask->maskp, mask->size + 1, 0);
	for (i = 0; i < len; i += psz)
		pm_fill(p + i, psz, 100 + i / psz);
	numa_free_nodemask(mask);
	return p;
}

static long check_pages(char *p, size_t len, size_t psz)
{
	size_t i;

	for (i = 0; i < len; i += psz)
		if (pm_first_bad(p + i, psz, 100 + i / psz) >= 0)
			return i / psz;
	return -1;
}

FIXTURE_SETUP(ksm)
{
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	if (ksm_read("run") < 0)
		SKIP(return, "no KSM");
	self->psz = getpagesize();
	self->len = NR_PAGES * self->psz;
	self->saved_run = ksm_read("run");
	self->saved_merge = ksm_read("merge_across_nodes");
	self->saved_scan = ksm_read("pages_to_scan");
	self->saved_sleep = ksm_read("sleep_millisecs");
	/* merge_across_nodes may change only with no KSM page left. */
	ASSERT_EQ(0, ksm_write("run", 2));
	ASSERT_EQ(0, ksm_write("merge_across_nodes", variant->merge_across_nodes));
	ASSERT_EQ(0, ksm_write("pages_to_scan", 2000));
	ASSERT_EQ(0, ksm_write("sleep_millisecs", 10));
	self->r1 = map_on(self->node_a, self->len, self->psz);
	self->r2 = map_on(self->node_a, self->len, self->psz);
	ASSERT_NE(NULL, self->r1);
	ASSERT_NE(NULL, self->r2);
	ASSERT_EQ(0, madvise(self->r1, self->len, MADV_MERGEABLE));
	ASSERT_EQ(0, madvise(self->r2, self->len, MADV_MERGEABLE));
	ASSERT_EQ(0, ksm_write("run", 1));
	ASSERT_EQ(0, ksm_wait_scans(WAIT_SCANS));
}

FIXTURE_TEARDOWN(ksm)
{
	if (self->r1)
		munmap(self->r1, self->len);
	if (self->r2)
		munmap(self->r2, self->len);
	if (self->r3)
		munmap(self->r3, self->len);
	ksm_write("run", 2);
	if (self->saved_merge >= 0)
		ksm_write("merge_across_nodes", self->saved_merge);
	ksm_write("pages_to_scan", self->saved_scan);
	ksm_write("sleep_millisecs", self->saved_sleep);
	ksm_write("run", self->saved_run);
}

TEST_F_TIMEOUT(ksm, migrate_merged_pages, 240)
{
	long bad;
	int i, ksm_after = 0;

	PM_RETURN_IF_SKIPPED();
	for (i = 0; i < NR_PAGES; i++)
		ASSERT_TRUE(is_ksm(self->r1 + i * self->psz))
			TH_LOG("page %d was not merged before the move", i);
	/* A KSM page mapped twice needs MPOL_MF_MOVE_ALL. */
	ASSERT_EQ(0, pm_move(self->r1, NR_PAGES, self->psz, self->node_b,
			     self->status, MPOL_MF_MOVE_ALL));
	for (i = 0; i < NR_PAGES; i++) {
		int st = self->status[i];

		ASSERT_EQ(self->node_b, st) TH_LOG("page %d: status %d", i, st);
	}
	/* r2 maps the same KSM pages, so it moved too. */
	ASSERT_EQ(0, pm_where(self->r2, NR_PAGES, self->psz, self->status));
	for (i = 0; i < NR_PAGES; i++) {
		int st = self->status[i];

		ASSERT_EQ(self->node_b, st) TH_LOG("r2 page %d: on node %d", i, st);
	}
	bad = check_pages(self->r1, self->len, self->psz);
	ASSERT_EQ(-1, bad) TH_LOG("r1 page %ld differs after the move", bad);

	/* Same contents again, on the old node; let ksmd run. */
	self->r3 = map_on(self->node_a, self->len, self->psz);
	ASSERT_NE(NULL, self->r3);
	ASSERT_EQ(0, madvise(self->r3, self->len, MADV_MERGEABLE));
	ASSERT_EQ(0, ksm_wait_scans(WAIT_SCANS));
	ASSERT_EQ(0, pm_where(self->r3, NR_PAGES, self->psz, self->status));
	for (i = 0; i < NR_PAGES; i++) {
		int st = self->status[i];

		ksm_after += is_ksm(self->r1 + i * self->psz);
		if (variant->merge_across_nodes)
			continue;
		/* No merging across nodes: r3 must stay on its own node. */
		ASSERT_EQ(self->node_a, st)
			TH_LOG("r3 page %d merged onto node %d", i, st);
		ASSERT_NE(pm_pfn(self->r1 + i * self->psz),
			  pm_pfn(self->r3 + i * self->psz))
			TH_LOG("r3 page %d shares the moved page", i);
	}
	ASSERT_EQ(NR_PAGES, ksm_after) TH_LOG("only %d moved pages still merged",
					      ksm_after);
	bad = check_pages(self->r3, self->len, self->psz);
	ASSERT_EQ(-1, bad) TH_LOG("r3 page %ld differs", bad);

	/* Unmerging r1 gives private copies with the same contents. */
	ASSERT_EQ(0, madvise(self->r1, self->len, MADV_UNMERGEABLE));
	for (i = 0; i < NR_PAGES; i++)
		ASSERT_FALSE(is_ksm(self->r1 + i * self->psz))
			TH_LOG("r1 page %d still a KSM page after unmerge", i);
	bad = check_pages(self->r1, self->len, self->psz);
	ASSERT_EQ(-1, bad) TH_LOG("r1 page %ld differs after unmerge", bad);
	bad = check_pages(self->r2, self->len, self->psz);
	ASSERT_EQ(-1, bad) TH_LOG("r2 page %ld differs after unmerge", bad);
}

TEST_HARNESS_MAIN
