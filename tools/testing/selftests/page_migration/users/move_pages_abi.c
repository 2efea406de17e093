// SPDX-License-Identifier: GPL-2.0
/*
 * move_pages(2) as seen by a caller, against the 6.1 ABI in
 * mm/migrate.c: query mode (nodes == NULL), moves to each node, and the
 * per-page status codes:
 *   node            page already on the target / moved there
 *   -EFAULT         no vma, vma not migratable (VM_IO|VM_PFNMAP, vvar),
 *                   untouched anon (no_page_table() with FOLL_DUMP),
 *                   the zero page (FOLL_DUMP)
 *   -ENOENT         untouched page of a vma with ->fault (shmem)
 *   -EACCES         mapcount > 1 without MPOL_MF_MOVE_ALL
 *   -EBUSY          page that cannot be isolated from the LRU (vdso)
 * plus arrays longer than DO_PAGES_STAT_CHUNK_NR (16), mixed target
 * nodes in one call (round-robin and in runs over every memory node)
 * and nr_pages == 0. Contents are checked after every move.
 * One answer differs from stock 6.1 on purpose: a page behind a
 * PROT_NONE pte is found, reported and moved, as 6.12 does; stock says
 * -ENOENT (see Documentation/mm/page_migration.rst).
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/wait.h>

#include "../../kselftest_harness.h"
#include "users_util.h"

FIXTURE(abi)
{
	size_t psz;
	int n0, n1;
};

FIXTURE_SETUP(abi)
{
	self->psz = getpagesize();
	pm_pick_nodes(&self->n0, &self->n1);
	if (self->n0 < 0)
		SKIP(return, "needs two NUMA nodes with memory");
}

FIXTURE_TEARDOWN(abi)
{
}

TEST_F_TIMEOUT(abi, move_to_each_node_and_query, 120)
{
	const unsigned long n = 32;
	size_t len = n * self->psz;
	int status[32], nodes[2] = { self->n0, self->n1 };
	char *buf;
	int k;

	PM_RETURN_IF_SKIPPED();
	buf = pm_map(len, MAP_PRIVATE | MAP_ANONYMOUS);
	ASSERT_NE(NULL, buf);
	pm_fill(buf, len, 1);
	for (k = 0; k < 4; k++) {
		int node = nodes[k % 2];

		PM_ASSERT_MOVE(0, buf, n, self->psz, node, MPOL_MF_MOVE, status,
			       node, "move");
		PM_ASSERT_QUERY(0, buf, n, self->psz, status, node,
				"query after move");
		/* The same query naming our own pid explicitly. */
		PM_ASSERT_QUERY(getpid(), buf, n, self->psz, status, node,
				"query with pid=getpid()");
		PM_EXPECT_CONTENT(buf, len, 1, getpagesize(), "contents");
	}
	munmap(buf, len);
}

TEST_F_TIMEOUT(abi, query_other_process, 120)
{
	const unsigned long n = 8;
	size_t len = n * self->psz;
	struct pm_target t;
	int status[8];

	PM_RETURN_IF_SKIPPED();
	ASSERT_EQ(0, pm_target_start(&t, len, 2, self->n1, 0, 1));
	PM_EXPECT_QUERY(t.pid, t.addr, n, self->psz, status, self->n1,
			"query of child");
	PM_EXPECT_MOVE(t.pid, t.addr, n, self->psz, self->n0, MPOL_MF_MOVE,
		       status, self->n0, "move of child's pages");
	PM_EXPECT_QUERY(t.pid, t.addr, n, self->psz, status, self->n0,
			"query of child after move");
	EXPECT_EQ(-1, pm_target_verify(&t));
	pm_target_stop(&t);
}

TEST_F_TIMEOUT(abi, already_on_target_reports_node, 120)
{
	const unsigned long n = 4;
	size_t len = n * self->psz;
	uint64_t pfn[4];
	int status[4];
	unsigned long i;
	char *buf;

	PM_RETURN_IF_SKIPPED();
	buf = pm_map(len, MAP_PRIVATE | MAP_ANONYMOUS);
	ASSERT_NE(NULL, buf);
	pm_fill(buf, len, 3);
	ASSERT_EQ(0, pm_move(buf, n, self->psz, self->n1, status, MPOL_MF_MOVE));
	for (i = 0; i < n; i++)
		pfn[i] = pm_pagemap(buf + i * self->psz) & PM_PAGEMAP_PFN;
	PM_EXPECT_MOVE(0, buf, n, self->psz, self->n1, MPOL_MF_MOVE, status,
		       self->n1, "second move to same node");
	/* Nothing was copied: the frames are the same (root sees PFNs). */
	for (i = 0; i < n && pfn[0]; i++) {
		EXPECT_EQ(pfn[i], pm_pagemap(buf + i * self->psz) & PM_PAGEMAP_PFN) {
			TH_LOG("page %lu changed frame on a no-op move", i);
		}
	}
	PM_EXPECT_CONTENT(buf, len, 3, getpagesize(), "contents");
	munmap(buf, len);
}

/* A query and a move of n (<= 4) untouched pages both report want. */
static void expect_untouched(struct __test_metadata *_metadata, char *buf,
			     unsigned long n, size_t psz, int node, int want)
{
	int status[4];

	PM_EXPECT_QUERY(0, buf, n, psz, status, want,
			"query of untouched pages");
	PM_EXPECT_MOVE(0, buf, n, psz, node, MPOL_MF_MOVE, status, want,
		       "move of untouched pages");
}

TEST_F_TIMEOUT(abi, untouched_anon_is_efault, 120)
{
	const unsigned long n = 4;
	size_t len = n * self->psz;
	int status[4];
	char *buf;

	PM_RETURN_IF_SKIPPED();
	buf = pm_map(len, MAP_PRIVATE | MAP_ANONYMOUS);
	ASSERT_NE(NULL, buf);
	expect_untouched(_metadata, buf, n, self->psz, self->n1, -EFAULT);
	/* move_pages() must not have populated anything. */
	EXPECT_EQ(0, pm_pagemap(buf) & PM_PAGEMAP_PRESENT);
	/* A page table exists now (neighbour touched): still -EFAULT. */
	buf[0] = 1;
	PM_EXPECT_QUERY(0, buf + self->psz, n - 1, self->psz, status, -EFAULT,
			"query of pte_none anon");
	munmap(buf, len);
}

TEST_F_TIMEOUT(abi, untouched_shmem_is_enoent, 120)
{
	const unsigned long n = 4;
	size_t len = n * self->psz;
	int status[4];
	char *buf;

	PM_RETURN_IF_SKIPPED();
	buf = pm_map(len, MAP_SHARED | MAP_ANONYMOUS);
	ASSERT_NE(NULL, buf);
	expect_untouched(_metadata, buf, n, self->psz, self->n1, -ENOENT);
	/* Touched shmem pages move like any other. */
	pm_fill(buf, len, 4);
	PM_EXPECT_MOVE(0, buf, n, self->psz, self->n1, MPOL_MF_MOVE, status,
		       self->n1, "move of touched shmem");
	PM_EXPECT_CONTENT(buf, len, 4, getpagesize(), "contents");
	munmap(buf, len);
}

TEST_F_TIMEOUT(abi, zero_page_is_efault, 120)
{
	const unsigned long n = 4;
	size_t len = n * self->psz;
	volatile char sum = 0;
	int status[4];
	unsigned long i;
	char *buf;

	PM_RETURN_IF_SKIPPED();
	buf = pm_map(len, MAP_PRIVATE | MAP_ANONYMOUS);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < n; i++)
		sum += ((volatile char *)buf)[i * self->psz];
	ASSERT_EQ(0, sum);
	ASSERT_NE(0, pm_pagemap(buf) & PM_PAGEMAP_PRESENT);
	PM_EXPECT_QUERY(0, buf, n, self->psz, status, -EFAULT,
			"query of zero-page mapping");
	PM_EXPECT_MOVE(0, buf, n, self->psz, self->n1, MPOL_MF_MOVE, status,
		       -EFAULT, "move of zero-page mapping");
	for (i = 0; i < len; i++)
		ASSERT_EQ(0, buf[i]);
	munmap(buf, len);
}

TEST_F_TIMEOUT(abi, unmapped_address_is_efault, 120)
{
	size_t len = 3 * self->psz;
	void *pages[4];
	int nodes[4], status[4], i;
	char *buf;

	PM_RETURN_IF_SKIPPED();
	buf = pm_map(len, MAP_PRIVATE | MAP_ANONYMOUS);
	ASSERT_NE(NULL, buf);
	pm_fill(buf, len, 5);
	ASSERT_EQ(0, munmap(buf + self->psz, self->psz));
	pages[0] = buf;				/* mapped */
	pages[1] = buf + self->psz;		/* hole */
	pages[2] = NULL;			/* never mapped */
	pages[3] = (void *)0xffff880000000000UL; /* kernel address */
	for (i = 0; i < 4; i++)
		nodes[i] = self->n1;
	memset(status, 0x7f, sizeof(status));
	EXPECT_EQ(0, move_pages(0, 4, pages, NULL, status, 0));
	EXPECT_LE(0, status[0]);
	for (i = 1; i < 4; i++) {
		EXPECT_EQ(-EFAULT, status[i]) {
			TH_LOG("query: page %d (%p) status %d, expected %d",
			       i, pages[i], status[i], -EFAULT);
		}
	}
	memset(status, 0x7f, sizeof(status));
	EXPECT_EQ(0, move_pages(0, 4, pages, nodes, status, MPOL_MF_MOVE));
	EXPECT_EQ(self->n1, status[0]);
	for (i = 1; i < 4; i++) {
		EXPECT_EQ(-EFAULT, status[i]) {
			TH_LOG("move: page %d (%p) status %d, expected %d",
			       i, pages[i], status[i], -EFAULT);
		}
	}
	PM_EXPECT_CONTENT(buf, self->psz, 5, getpagesize(), "contents");
	munmap(buf, len);
}

TEST_F_TIMEOUT(abi, shared_page_needs_move_all, 120)
{
	const unsigned long n = 4;
	size_t len = n * self->psz;
	int status[4], sync[2];
	pid_t pid;
	char *buf, c;

	PM_RETURN_IF_SKIPPED();
	buf = pm_map(len, MAP_PRIVATE | MAP_ANONYMOUS);
	ASSERT_NE(NULL, buf);
	pm_fill(buf, len, 6);
	ASSERT_EQ(0, pm_move(buf, n, self->psz, self->n0, status, MPOL_MF_MOVE));
	ASSERT_EQ(0, pipe(sync));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Keep the COW-shared pages mapped (mapcount 2) until told. */
		close(sync[1]);
		if (read(sync[0], &c, 1) < 0)
			_exit(2);
		_exit(pm_first_bad(buf, len, 6) == -1 ? 0 : 1);
	}
	close(sync[0]);
	PM_EXPECT_MOVE(0, buf, n, self->psz, self->n1, MPOL_MF_MOVE, status,
		       -EACCES, "MPOL_MF_MOVE of shared page");
	PM_EXPECT_QUERY(0, buf, n, self->psz, status, self->n0,
			"shared page stays");
	/* Root has CAP_SYS_NICE: MPOL_MF_MOVE_ALL moves shared pages. */
	PM_EXPECT_MOVE(0, buf, n, self->psz, self->n1, MPOL_MF_MOVE_ALL, status,
		       self->n1, "MPOL_MF_MOVE_ALL of shared page");
	PM_EXPECT_QUERY(pid, buf, n, self->psz, status, self->n1,
			"child sees the shared page moved");
	PM_EXPECT_CONTENT(buf, len, 6, getpagesize(), "contents");
	close(sync[1]);
	ASSERT_EQ(pid, waitpid(pid, &sync[0], 0));
	EXPECT_TRUE(WIFEXITED(sync[0]) && WEXITSTATUS(sync[0]) == 0) {
		TH_LOG("child saw wrong contents (status 0x%x)", sync[0]);
	}
	munmap(buf, len);
}

TEST_F_TIMEOUT(abi, vvar_and_vdso_are_not_migrated, 120)
{
	char *vvar = pm_special_map("[vvar]"), *vdso = pm_special_map("[vdso]");
	int status, node, other, sync[2];
	volatile char c;
	void *page;
	pid_t pid;

	PM_RETURN_IF_SKIPPED();
	if (!vvar || !vdso)
		SKIP(return, "no [vvar]/[vdso] mapping");
	c = *(volatile char *)vdso;
	c = *(volatile char *)vvar;
	(void)c;

	/* vvar is VM_IO|VM_PFNMAP: not migratable, and no struct page. */
	page = vvar;
	status = 12345;
	EXPECT_EQ(0, move_pages(0, 1, &page, NULL, &status, 0));
	EXPECT_EQ(-EFAULT, status);
	status = 12345;
	node = self->n1;
	EXPECT_EQ(0, move_pages(0, 1, &page, &node, &status, MPOL_MF_MOVE));
	EXPECT_EQ(-EFAULT, status);

	/* vdso: a kernel page, mapped by many (here: a child too). */
	ASSERT_EQ(0, pipe(sync));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char x = *(volatile char *)vdso;

		(void)x;
		close(sync[0]);
		if (write(sync[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(sync[1]);
	ASSERT_EQ(1, read(sync[0], (char *)&status, 1));
	close(sync[0]);
	page = vdso;
	node = -1;
	EXPECT_EQ(0, move_pages(0, 1, &page, NULL, &node, 0));
	ASSERT_LE(0, node) {
		TH_LOG("vdso page query status %d", node);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	other = node == self->n0 ? self->n1 : self->n0;
	status = 12345;
	EXPECT_EQ(0, move_pages(0, 1, &page, &other, &status, MPOL_MF_MOVE));
	EXPECT_EQ(-EACCES, status) {
		TH_LOG("vdso page on node %d to %d without MOVE_ALL", node, other);
	}
	status = 12345;
	EXPECT_EQ(0, move_pages(0, 1, &page, &other, &status, MPOL_MF_MOVE_ALL));
	EXPECT_EQ(-EBUSY, status) {
		TH_LOG("vdso page on node %d to %d with MOVE_ALL", node, other);
	}
	status = 12345;
	EXPECT_EQ(0, move_pages(0, 1, &page, NULL, &status, 0));
	EXPECT_EQ(node, status);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/*
 * Long arrays with holes at irregular indices: every 7th page (from 3)
 * is unmapped. Any misaligned chunking shows as a wrong index.
 */
static void chunked(struct __test_metadata *_metadata, size_t psz,
		    unsigned long n, int n0, int n1)
{
	size_t len = n * psz;
	int *status = calloc(n, sizeof(int));
	unsigned long i;
	char *buf;
	int k;

	ASSERT_NE(NULL, status);
	buf = pm_map(len, MAP_PRIVATE | MAP_ANONYMOUS);
	ASSERT_NE(NULL, buf);
	pm_fill(buf, len, 7);
	for (i = 3; i < n; i += 7)
		ASSERT_EQ(0, munmap(buf + i * psz, psz));
	for (k = 0; k < 2; k++) {
		int node = k ? n0 : n1;

		memset(status, 0x7f, n * sizeof(int));
		ASSERT_EQ(0, pm_move(buf, n, psz, node, status, MPOL_MF_MOVE));
		for (i = 0; i < n; i++) {
			int want = i % 7 == 3 ? -EFAULT : node;

			ASSERT_EQ(want, status[i]) {
				TH_LOG("move of %lu pages: page %lu status %d, expected %d",
				       n, i, status[i], want);
			}
		}
		memset(status, 0x7f, n * sizeof(int));
		ASSERT_EQ(0, pm_where(buf, n, psz, status));
		for (i = 0; i < n; i++) {
			int want = i % 7 == 3 ? -EFAULT : node;

			ASSERT_EQ(want, status[i]) {
				TH_LOG("query of %lu pages: page %lu status %d, expected %d",
				       n, i, status[i], want);
			}
		}
	}
	/* Contents: compare page by page against the pattern offsets. */
	for (i = 0; i < n; i++) {
		size_t j;

		if (i % 7 == 3)
			continue;
		for (j = 0; j < psz; j++)
			if ((unsigned char)buf[i * psz + j] != pm_byte(7, i * psz + j))
				break;
		ASSERT_EQ(psz, j) {
			TH_LOG("page %lu differs at byte %zu", i, j);
		}
	}
	for (i = 0; i < n; i++)
		if (i % 7 != 3)
			munmap(buf + i * psz, psz);
	free(status);
}

TEST_F_TIMEOUT(abi, arrays_across_chunks, 120)
{
	PM_RETURN_IF_SKIPPED();
	/* 16 is DO_PAGES_STAT_CHUNK_NR; 15/16/17/53 straddle it. */
	chunked(_metadata, self->psz, 15, self->n0, self->n1);
	chunked(_metadata, self->psz, 16, self->n0, self->n1);
	chunked(_metadata, self->psz, 17, self->n0, self->n1);
	chunked(_metadata, self->psz, 53, self->n0, self->n1);
	chunked(_metadata, self->psz, 1100, self->n0, self->n1);
}

TEST_F_TIMEOUT(abi, mixed_target_nodes, 120)
{
	const unsigned long n = 40;
	size_t len = n * self->psz;
	void *pages[40];
	int nodes[40], status[40], node;
	unsigned long i, run = 1, left = 1;
	char *buf;

	PM_RETURN_IF_SKIPPED();
	buf = pm_map(len, MAP_PRIVATE | MAP_ANONYMOUS);
	ASSERT_NE(NULL, buf);
	pm_fill(buf, len, 8);
	ASSERT_EQ(0, pm_move(buf, n, self->psz, self->n0, status, MPOL_MF_MOVE));
	/* Runs of 1, 2, 3 ... pages alternating between the nodes. */
	node = self->n1;
	for (i = 0; i < n; i++) {
		pages[i] = buf + i * self->psz;
		nodes[i] = node;
		if (--left == 0) {
			node = node == self->n0 ? self->n1 : self->n0;
			left = ++run;
		}
	}
	/* An unmapped page in the middle of a run. */
	pages[20] = NULL;
	memset(status, 0x7f, sizeof(status));
	EXPECT_EQ(0, move_pages(0, n, pages, nodes, status, MPOL_MF_MOVE));
	for (i = 0; i < n; i++) {
		int want = i == 20 ? -EFAULT : nodes[i];

		EXPECT_EQ(want, status[i]) {
			TH_LOG("move: page %lu status %d, expected %d", i,
			       status[i], want);
		}
	}
	pages[20] = buf + 20 * self->psz;
	memset(status, 0x7f, sizeof(status));
	EXPECT_EQ(0, move_pages(0, n, pages, NULL, status, 0));
	for (i = 0; i < n; i++) {
		int want = i == 20 ? self->n0 : nodes[i];

		EXPECT_EQ(want, status[i]) {
			TH_LOG("query: page %lu status %d, expected %d", i,
			       status[i], want);
		}
	}
	PM_EXPECT_CONTENT(buf, len, 8, getpagesize(), "contents");
	munmap(buf, len);
}

#define SPREAD_PAGES	100

/*
 * The node of page i in round k: round-robin over nodes[0..nr) for the
 * first half, then runs of 1, 2, 3, ... pages, each on the next node.
 * Each round shifts every page one node on, so that every page moves.
 */
static int spread_node(const int *nodes, int nr, unsigned long i, int k)
{
	unsigned long j, run = 0;

	if (i < SPREAD_PAGES / 2)
		return nodes[(i + k) % nr];
	for (j = i - SPREAD_PAGES / 2; j > run; j -= run)
		run++;
	return nodes[(run + k) % nr];
}

TEST_F_TIMEOUT(abi, spread_over_every_node, 120)
{
	size_t len = SPREAD_PAGES * self->psz;
	int nodes[PM_MAX_NODES], want[SPREAD_PAGES], status[SPREAD_PAGES];
	unsigned long i;
	char what[64];
	int nr, k;
	char *buf;
	long bad;

	PM_RETURN_IF_SKIPPED();
	nr = pm_memory_nodes(nodes, PM_MAX_NODES);
	buf = pm_map_isolated(len);
	ASSERT_NE(NULL, buf);
	pm_fill(buf, len, 9);
	/* Round 0 moves the pages from where they were faulted. */
	for (k = 0; k <= nr; k++) {
		snprintf(what, sizeof(what), "round %d over %d nodes", k, nr);
		for (i = 0; i < SPREAD_PAGES; i++)
			want[i] = spread_node(nodes, nr, i, k);
		pm_status_poison(status, SPREAD_PAGES);
		ASSERT_EQ(0, pm_move_each_pid(0, buf, SPREAD_PAGES, self->psz,
					      want, status, MPOL_MF_MOVE));
		bad = pm_first_misplaced(status, want, SPREAD_PAGES);
		ASSERT_EQ(-1, bad) {
			TH_LOG("%s: page %ld status %d, expected %d", what, bad,
			       status[bad], want[bad]);
		}
		PM_ASSERT_PLACED(0, buf, SPREAD_PAGES, self->psz, want, nodes,
				 nr, what);
		PM_ASSERT_CONTENT(buf, len, 9, self->psz, what);
	}
	munmap(buf - self->psz, len + 2 * self->psz);
}

/*
 * Pages behind PROT_NONE ptes (an mprotect()ed range; NUMA balancing's
 * hinting ptes look the same) are there: a query reports their node, a
 * move moves them, and they read back intact once accessible again.
 */
TEST_F_TIMEOUT(abi, prot_none_pages_are_found_and_moved, 120)
{
	const unsigned long n = 8;
	size_t len = n * self->psz;
	int status[8];
	char *buf;

	PM_RETURN_IF_SKIPPED();
	buf = pm_map(len, MAP_PRIVATE | MAP_ANONYMOUS);
	ASSERT_NE(NULL, buf);
	pm_fill(buf, len, 9);
	PM_ASSERT_MOVE(0, buf, n, self->psz, self->n0, MPOL_MF_MOVE, status,
		       self->n0, "move while accessible");
	ASSERT_EQ(0, mprotect(buf, len, PROT_NONE));
	PM_EXPECT_QUERY(0, buf, n, self->psz, status, self->n0,
			"query behind PROT_NONE");
	PM_EXPECT_MOVE(0, buf, n, self->psz, self->n1, MPOL_MF_MOVE, status,
		       self->n1, "move behind PROT_NONE");
	ASSERT_EQ(0, mprotect(buf, len, PROT_READ | PROT_WRITE));
	PM_EXPECT_QUERY(0, buf, n, self->psz, status, self->n1,
			"query once accessible again");
	PM_EXPECT_CONTENT(buf, len, 9, self->psz, "contents");
	munmap(buf, len);
}

TEST_F_TIMEOUT(abi, nr_pages_zero, 120)
{
	PM_RETURN_IF_SKIPPED();
	/* Nothing is read or written: even bad pointers are fine. */
	EXPECT_EQ(0, move_pages(0, 0, NULL, NULL, NULL, 0));
	EXPECT_EQ(0, move_pages(0, 0, (void **)1, (int *)1, (int *)1,
				MPOL_MF_MOVE));
	EXPECT_EQ(0, move_pages(getpid(), 0, NULL, NULL, NULL, MPOL_MF_MOVE_ALL));
}

TEST_HARNESS_MAIN
