// SPDX-License-Identifier: GPL-2.0
/*
 * KSM-merged pages move between two nodes. Groups of identical pages are
 * merged by ksmd; without MPOL_MF_MOVE_ALL a KSM page mapped GROUP times
 * is refused with -EACCES (stock 6.1: page_mapcount() > 1), with it the
 * KSM page moves and every address of the group sees it on the new node
 * with every byte intact. A write after the move unmerges that address
 * alone (copy on write), leaving the rest of the group merged and intact.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <time.h>

#include "../kselftest_harness.h"
#include "pm_test.h"

#define GROUPS		8
#define GROUP		4	/* identical pages per group */
#define NR_PAGES	(GROUPS * GROUP)
#define KSM		"/sys/kernel/mm/ksm/"

FIXTURE(ksm)
{
	int node_a, node_b;
	size_t psz, len;
	long run, sleep_ms, to_scan;
	char *buf;
	int status[NR_PAGES];
};

static unsigned long seed_of(int page)
{
	return 100 + page / GROUP;
}

FIXTURE_SETUP(ksm)
{
	int i;

	self->run = -1;
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	if (pm_read_long(KSM "run") < 0)
		SKIP(return, "no KSM (CONFIG_KSM)");
	self->psz = getpagesize();
	self->len = NR_PAGES * self->psz;
	self->buf = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	for (i = 0; i < NR_PAGES; i++)
		pm_fill(self->buf + i * self->psz, self->psz, seed_of(i));
	PM_MOVE_OK(self->buf, NR_PAGES, self->psz, self->node_a, self->status,
		   0, "initial placement");
	self->sleep_ms = pm_read_long(KSM "sleep_millisecs");
	self->to_scan = pm_read_long(KSM "pages_to_scan");
	/* Global state from here: no ASSERT, the teardown restores it. */
	self->run = pm_read_long(KSM "run");
	pm_write_long(KSM "sleep_millisecs", 10);
	pm_write_long(KSM "pages_to_scan", 1000);
}

FIXTURE_TEARDOWN(ksm)
{
	if (self->buf && self->buf != MAP_FAILED) {
		madvise(self->buf, self->len, MADV_UNMERGEABLE);
		munmap(self->buf, self->len);
	}
	if (self->run < 0)
		return;
	/* run=2 unmerges everything, then the old mode. */
	pm_write_long(KSM "run", 2);
	pm_write_long(KSM "run", self->run);
	pm_write_long(KSM "sleep_millisecs", self->sleep_ms);
	pm_write_long(KSM "pages_to_scan", self->to_scan);
}

static int count_ksm(FIXTURE_DATA(ksm) *self)
{
	uint64_t f;
	int i, n = 0;

	for (i = 0; i < NR_PAGES; i++)
		if (!pm_kpageflags(self->buf + i * self->psz, &f) &&
		    (f & PM_KPF(KPF_KSM)))
			n++;
	return n;
}

/* Same PFN for every page of a group, different across groups. */
static void check_merged(struct __test_metadata *_metadata,
			 FIXTURE_DATA(ksm) *self)
{
	uint64_t pfn[NR_PAGES];
	int i;

	for (i = 0; i < NR_PAGES; i++)
		pfn[i] = pm_pagemap(self->buf + i * self->psz) & PM_PAGEMAP_PFN;
	for (i = 0; i < NR_PAGES; i++) {
		if (i % GROUP) {
			ASSERT_EQ(pfn[i - i % GROUP], pfn[i])
				TH_LOG("page %d: pfn 0x%llx, its group's KSM page is 0x%llx",
				       i, (unsigned long long)pfn[i],
				       (unsigned long long)pfn[i - i % GROUP]);
		} else if (i) {
			ASSERT_NE(pfn[i - GROUP], pfn[i]);
		}
	}
}

static void check_contents(struct __test_metadata *_metadata,
			   FIXTURE_DATA(ksm) *self, const char *when)
{
	int i;

	for (i = 0; i < NR_PAGES; i++) {
		long bad = pm_first_bad(self->buf + i * self->psz, self->psz,
					seed_of(i));

		ASSERT_EQ(-1, bad) TH_LOG("%s: page %d byte %ld differs", when,
					  i, bad);
	}
}

static void merge(struct __test_metadata *_metadata, FIXTURE_DATA(ksm) *self)
{
	time_t end = time(NULL) + 40;
	int n = 0;

	ASSERT_EQ(0, madvise(self->buf, self->len, MADV_MERGEABLE))
		TH_LOG("MADV_MERGEABLE: %s", strerror(errno));
	ASSERT_EQ(0, pm_write_long(KSM "run", 1));
	while (time(NULL) < end) {
		n = count_ksm(self);
		if (n == NR_PAGES)
			break;
		usleep(100000);
	}
	if (n != NR_PAGES)
		SKIP(return, "ksmd merged only %d of %d pages in 40 s", n,
		     NR_PAGES);
	/* Stop ksmd so that it does not re-merge behind the test's back. */
	ASSERT_EQ(0, pm_write_long(KSM "run", 0));
	check_merged(_metadata, self);
}

/* The last page of each group was rewritten; the rest are still KSM. */
static void check_after_write(struct __test_metadata *_metadata,
			      FIXTURE_DATA(ksm) *self, const char *when)
{
	int i;

	for (i = 0; i < NR_PAGES; i++) {
		uint64_t f;
		int last = i % GROUP == GROUP - 1;
		unsigned long seed = last ? 900 + i / GROUP : seed_of(i);
		long bad = pm_first_bad(self->buf + i * self->psz, self->psz,
					seed);

		ASSERT_EQ(-1, bad) TH_LOG("%s: page %d byte %ld differs",
					  when, i, bad);
		ASSERT_EQ(0, pm_kpageflags(self->buf + i * self->psz, &f));
		ASSERT_EQ(!last, !!(f & PM_KPF(KPF_KSM)))
			TH_LOG("%s: page %d KSM bit %d, expected %d",
			       when, i, !!(f & PM_KPF(KPF_KSM)), !last);
	}
}

TEST_F_TIMEOUT(ksm, refused_without_move_all, 90)
{
	long ret;

	PM_RETURN_IF_SKIPPED();
	merge(_metadata, self);
	PM_RETURN_IF_SKIPPED();
	memset(self->status, 0x7f, sizeof(self->status));
	ret = pm_move(self->buf, NR_PAGES, self->psz, self->node_b,
		      self->status, 0);
	ASSERT_EQ(0, ret) TH_LOG("move_pages(0) returned %ld", ret);
	PM_ASSERT_STATUS(self->status, NR_PAGES, -EACCES,
			 "KSM page mapped by its group, no MOVE_ALL");
	PM_ASSERT_WHERE(self->buf, NR_PAGES, self->psz, self->node_a,
			self->status, "after the refused move");
	ASSERT_EQ(NR_PAGES, count_ksm(self));
	check_contents(_metadata, self, "after the refused move");
}

TEST_F_TIMEOUT(ksm, move_all_then_write, 90)
{
	int r, i, g;

	PM_RETURN_IF_SKIPPED();
	merge(_metadata, self);
	PM_RETURN_IF_SKIPPED();
	for (r = 0; r < 2; r++) {
		int to = r ? self->node_a : self->node_b;

		/* One address per KSM page: the first of each group. */
		PM_MOVE_OK(self->buf, GROUPS, GROUP * self->psz, to,
			   self->status, MPOL_MF_MOVE_ALL, "KSM page MOVE_ALL");
		PM_ASSERT_WHERE(self->buf, NR_PAGES, self->psz, to,
				self->status, "every address of every group");
		ASSERT_EQ(NR_PAGES, count_ksm(self))
			TH_LOG("round %d: %d of %d pages still KSM after the move",
			       r, count_ksm(self), NR_PAGES);
		check_merged(_metadata, self);
		check_contents(_metadata, self, "after KSM move");
	}

	/* Write to the last page of each group: it alone unmerges. */
	for (g = 0; g < GROUPS; g++) {
		i = g * GROUP + GROUP - 1;
		pm_fill(self->buf + i * self->psz, self->psz, 900 + g);
	}
	check_after_write(_metadata, self, "after the writes");
	/* The unmerged copies and the KSM pages move on as usual. */
	PM_MOVE_OK(self->buf, GROUPS, GROUP * self->psz, self->node_b,
		   self->status, MPOL_MF_MOVE_ALL, "KSM pages after the writes");
	PM_MOVE_OK(self->buf + (GROUP - 1) * self->psz, GROUPS,
		   GROUP * self->psz, self->node_b, self->status, 0,
		   "unmerged copies");
	PM_ASSERT_WHERE(self->buf, NR_PAGES, self->psz, self->node_b,
			self->status, "after the last moves");
	check_after_write(_metadata, self, "after the last moves");
}

TEST_HARNESS_MAIN
