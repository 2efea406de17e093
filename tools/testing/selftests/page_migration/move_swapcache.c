// SPDX-License-Identifier: GPL-2.0
/*
 * Anonymous pages in the swap cache move between two nodes. The test
 * sets up zram swap, pushes the pages out with MADV_PAGEOUT, reads them
 * back into the swap cache (MADV_WILLNEED, then a read fault: zram skips
 * the swap cache on a plain fault), moves them, and checks that every
 * byte survived, that they are still swap cache pages, and that they
 * come back intact from swap after another page-out.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/swap.h>
#include <sys/stat.h>

#include "../kselftest_harness.h"
#include "pm_test.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

#define NR_PAGES	256
#define SEED		41
#define ZRAM		"/sys/block/zram0"

FIXTURE(swapcache)
{
	int node_a, node_b;
	size_t psz, len;
	int zram_set, swap_on;
	char *buf;
	int status[NR_PAGES];
};

FIXTURE_SETUP(swapcache)
{
	struct stat st;

	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	if (stat(ZRAM "/disksize", &st) || stat("/dev/zram0", &st))
		SKIP(return, "no zram0 (CONFIG_ZRAM)");
	if (pm_read_long(ZRAM "/disksize") != 0)
		SKIP(return, "zram0 is already in use");
	if (system("command -v mkswap >/dev/null 2>&1"))
		SKIP(return, "mkswap not found");
	if (pm_meminfo_kb("SwapTotal") != 0)
		SKIP(return, "another swap device is active");
	self->psz = getpagesize();
	self->len = NR_PAGES * self->psz;
	/* Global state from here on: no ASSERT, the teardown undoes it. */
	self->zram_set = pm_write_str(ZRAM "/disksize", "64M") == 0;
	if (self->zram_set && system("mkswap /dev/zram0 >/dev/null 2>&1") == 0)
		self->swap_on = swapon("/dev/zram0", 0) == 0;
}

FIXTURE_TEARDOWN(swapcache)
{
	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, self->len);
	if (self->swap_on && swapoff("/dev/zram0"))
		TH_LOG("swapoff /dev/zram0: %s", strerror(errno));
	if (self->zram_set && pm_write_str(ZRAM "/reset", "1"))
		TH_LOG("zram0 reset failed");
}

static int count_swapped(FIXTURE_DATA(swapcache) *self)
{
	int i, n = 0;

	for (i = 0; i < NR_PAGES; i++)
		if (pm_pagemap(self->buf + i * self->psz) & PM_PAGEMAP_SWAPPED)
			n++;
	return n;
}

/* MADV_PAGEOUT until every page is out (pages may sit in LRU batches). */
static void page_out(struct __test_metadata *_metadata,
		     FIXTURE_DATA(swapcache) *self)
{
	int tries, n = 0;

	for (tries = 0; tries < 20; tries++) {
		ASSERT_EQ(0, madvise(self->buf, self->len, MADV_PAGEOUT))
			TH_LOG("MADV_PAGEOUT: %s", strerror(errno));
		n = count_swapped(self);
		if (n == NR_PAGES)
			return;
		usleep(100000);
	}
	ASSERT_EQ(NR_PAGES, n) TH_LOG("only %d of %d pages swapped out", n,
				      NR_PAGES);
}

/* Bring the pages back so that they stay in the swap cache. */
static void swap_in(struct __test_metadata *_metadata,
		    FIXTURE_DATA(swapcache) *self, unsigned long seed, int node)
{
	unsigned long mask = 1UL << node;
	uint64_t f;
	int i;

	/* Swapped-in pages are allocated on node, so that a move moves. */
	ASSERT_EQ(0, mbind(self->buf, self->len, MPOL_BIND, &mask,
			   sizeof(mask) * 8, 0));
	ASSERT_EQ(0, madvise(self->buf, self->len, MADV_WILLNEED));
	usleep(200000);
	PM_ASSERT_CONTENT(self->buf, self->len, seed, self->psz,
			  "after swap-in");
	for (i = 0; i < NR_PAGES; i++) {
		ASSERT_EQ(0, pm_kpageflags(self->buf + i * self->psz, &f))
			TH_LOG("page %d not present after swap-in", i);
		ASSERT_NE(0, f & PM_KPF(KPF_SWAPCACHE))
			TH_LOG("page %d not in the swap cache after swap-in (0x%llx)",
			       i, (unsigned long long)f);
	}
	PM_ASSERT_WHERE(self->buf, NR_PAGES, self->psz, node, self->status,
			"swapped-in pages");
}

static void check_swapcache(struct __test_metadata *_metadata,
			    FIXTURE_DATA(swapcache) *self, const char *when)
{
	uint64_t f;
	int i;

	for (i = 0; i < NR_PAGES; i++) {
		ASSERT_EQ(0, pm_kpageflags(self->buf + i * self->psz, &f));
		ASSERT_NE(0, f & PM_KPF(KPF_SWAPCACHE))
			TH_LOG("%s: page %d left the swap cache (0x%llx)", when,
			       i, (unsigned long long)f);
		ASSERT_NE(0, f & PM_KPF(KPF_ANON));
	}
}

TEST_F_TIMEOUT(swapcache, move_swapcache_pages, 90)
{
	int r;

	PM_RETURN_IF_SKIPPED();
	ASSERT_TRUE(self->zram_set) TH_LOG("could not set zram0 disksize");
	ASSERT_TRUE(self->swap_on) TH_LOG("mkswap/swapon on /dev/zram0 failed");
	self->buf = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	ASSERT_EQ(0, madvise(self->buf, self->len, MADV_NOHUGEPAGE));
	pm_fill(self->buf, self->len, SEED);
	PM_MOVE_OK(self->buf, NR_PAGES, self->psz, self->node_a, self->status,
		   0, "initial placement");

	for (r = 0; r < 2; r++) {
		int to = r ? self->node_a : self->node_b;
		int from = r ? self->node_b : self->node_a;

		page_out(_metadata, self);
		swap_in(_metadata, self, SEED, from);
		PM_MOVE_OK(self->buf, NR_PAGES, self->psz, to, self->status, 0,
			   "swap cache pages");
		PM_ASSERT_WHERE(self->buf, NR_PAGES, self->psz, to,
				self->status, "query");
		check_swapcache(_metadata, self, "after move");
		PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
				  "after move");
	}
	/* Moved swap cache pages go out and come back intact. */
	page_out(_metadata, self);
	swap_in(_metadata, self, SEED, self->node_a);
	PM_MOVE_OK(self->buf, NR_PAGES, self->psz, self->node_b, self->status,
		   0, "swap cache pages, before writing");
	/* A write to a moved swap cache page sticks through swap. */
	pm_fill(self->buf, self->len, SEED + 1);
	page_out(_metadata, self);
	PM_ASSERT_CONTENT(self->buf, self->len, SEED + 1, self->psz,
			  "written after move, swapped out and in");
}

TEST_HARNESS_MAIN
