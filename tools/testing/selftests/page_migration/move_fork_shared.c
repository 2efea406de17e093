// SPDX-License-Identifier: GPL-2.0
/*
 * Anonymous pages shared over fork() (parent and child map the same
 * pages, nobody writes, so no COW break): with MPOL_MF_MOVE_ALL the
 * parent moves them and both processes see every byte and the new node;
 * without it the shared pages are not moved and each reports -EACCES
 * (stock 6.1: add_page_for_migration() refuses page_mapcount() > 1).
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "pm_test.h"

#define NR_PAGES	256
#define SEED		11

FIXTURE(fork_shared)
{
	int node_a, node_b;
	size_t psz, len;
	char *buf;
	int status[NR_PAGES];
	struct pm_checker child;
};

FIXTURE_SETUP(fork_shared)
{
	long ret;

	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	self->psz = getpagesize();
	self->len = NR_PAGES * self->psz;
	self->buf = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	pm_fill(self->buf, self->len, SEED);
	/* Start on node A, while only this process maps the pages. */
	ret = pm_move(self->buf, NR_PAGES, self->psz, self->node_a,
		      self->status, 0);
	ASSERT_EQ(0, ret);
	PM_ASSERT_STATUS(self->status, NR_PAGES, self->node_a, "initial move");
	ASSERT_EQ(0, pm_checker_start(&self->child, self->buf, self->len,
				      self->psz, SEED));
}

FIXTURE_TEARDOWN(fork_shared)
{
	pm_checker_stop(&self->child);
	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, self->len);
}

static void check_both(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fork_shared) *self, int node)
{
	struct pm_check_result r;

	PM_ASSERT_WHERE(self->buf, NR_PAGES, self->psz, node, self->status,
			"parent query");
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz, "parent");
	ASSERT_EQ(0, pm_checker_ask(&self->child, node, &r))
		TH_LOG("child checker did not answer");
	ASSERT_EQ(-1, r.bad_off)
		TH_LOG("child: byte %ld (page %ld) differs from the pattern (node %d)",
		       r.bad_off, r.bad_off / (long)self->psz, node);
	ASSERT_EQ(-1, r.bad_page)
		TH_LOG("child: page %ld has status %d, expected node %d",
		       r.bad_page, r.bad_status, node);
}

/* Verify that the pages are still shared (no COW break happened). */
static void check_still_shared(struct __test_metadata *_metadata,
			       FIXTURE_DATA(fork_shared) *self)
{
	uint64_t f;
	int i;

	/* Both processes map it: a pagemap "exclusive" bit (56) is clear. */
	for (i = 0; i < NR_PAGES; i += 37) {
		uint64_t ent = pm_pagemap(self->buf + i * self->psz);

		ASSERT_NE(0, ent & PM_PAGEMAP_PRESENT)
			TH_LOG("page %d not present", i);
		ASSERT_EQ(0, ent & (1ULL << 56))
			TH_LOG("page %d is mapped exclusively: pagemap 0x%llx",
			       i, (unsigned long long)ent);
		ASSERT_EQ(0, pm_kpageflags(self->buf + i * self->psz, &f));
		ASSERT_NE(0, f & PM_KPF(KPF_ANON));
	}
}

TEST_F_TIMEOUT(fork_shared, move_all_moves_shared_pages, 90)
{
	int r;

	PM_RETURN_IF_SKIPPED();
	check_still_shared(_metadata, self);
	check_both(_metadata, self, self->node_a);
	for (r = 0; r < 3; r++) {
		int to = (r & 1) ? self->node_a : self->node_b;

		PM_MOVE_OK(self->buf, NR_PAGES, self->psz, to, self->status,
			   MPOL_MF_MOVE_ALL, "MOVE_ALL of shared pages");
		check_both(_metadata, self, to);
		check_still_shared(_metadata, self);
	}
}

TEST_F_TIMEOUT(fork_shared, move_without_move_all_is_refused, 90)
{
	long ret;

	PM_RETURN_IF_SKIPPED();
	memset(self->status, 0x7f, sizeof(self->status));
	ret = pm_move(self->buf, NR_PAGES, self->psz, self->node_b,
		      self->status, 0);
	ASSERT_EQ(0, ret) TH_LOG("move_pages(0) to node %d returned %ld",
				 self->node_b, ret);
	/* -EACCES is -13 */
	PM_ASSERT_STATUS(self->status, NR_PAGES, -EACCES,
			 "shared page without MOVE_ALL");
	/* Nothing moved, nothing changed, for either process. */
	check_both(_metadata, self, self->node_a);
	check_still_shared(_metadata, self);
}

TEST_HARNESS_MAIN
