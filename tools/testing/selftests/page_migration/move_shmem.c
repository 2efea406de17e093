// SPDX-License-Identifier: GPL-2.0
/*
 * shmem/tmpfs pages (a memfd, and MAP_SHARED|MAP_ANONYMOUS) move between
 * two nodes: alone, and with MPOL_MF_MOVE_ALL while a reader process maps
 * and keeps reading the same pages. Every byte is checked through both
 * mappings and, for the memfd, through read() of the file. Without
 * MOVE_ALL the pages mapped by two processes stay put with -EACCES.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "pm_test.h"

#define NR_PAGES	256
#define SEED		23

FIXTURE(shmem)
{
	int node_a, node_b, fd;
	size_t psz, len;
	char *buf;
	int status[NR_PAGES];
	struct pm_checker reader;
};

FIXTURE_VARIANT(shmem)
{
	int memfd;
};

FIXTURE_VARIANT_ADD(shmem, memfd)
{
	.memfd = 1,
};

FIXTURE_VARIANT_ADD(shmem, shared_anon)
{
	.memfd = 0,
};

FIXTURE_SETUP(shmem)
{
	self->fd = -1;
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	self->psz = getpagesize();
	self->len = NR_PAGES * self->psz;
	if (variant->memfd) {
		self->fd = memfd_create("move_shmem", 0);
		ASSERT_LE(0, self->fd);
		ASSERT_EQ(0, ftruncate(self->fd, self->len));
		self->buf = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
				 MAP_SHARED, self->fd, 0);
	} else {
		self->buf = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	}
	ASSERT_NE(MAP_FAILED, self->buf);
	pm_fill(self->buf, self->len, SEED);
	PM_MOVE_OK(self->buf, NR_PAGES, self->psz, self->node_a, self->status,
		   0, "initial placement");
}

FIXTURE_TEARDOWN(shmem)
{
	pm_checker_stop(&self->reader);
	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, self->len);
	if (self->fd >= 0)
		close(self->fd);
}

/* Each page is a shmem (swap-backed, not anonymous) page. */
static void check_kind(struct __test_metadata *_metadata,
		       FIXTURE_DATA(shmem) *self)
{
	uint64_t f;
	int i;

	for (i = 0; i < NR_PAGES; i += 31) {
		ASSERT_EQ(0, pm_kpageflags(self->buf + i * self->psz, &f));
		ASSERT_NE(0, f & PM_KPF(KPF_SWAPBACKED))
			TH_LOG("page %d: kpageflags 0x%llx, no SWAPBACKED", i,
			       (unsigned long long)f);
		ASSERT_EQ(0, f & PM_KPF(KPF_ANON))
			TH_LOG("page %d: kpageflags 0x%llx says anon, not shmem",
			       i, (unsigned long long)f);
	}
}

/* Contents through the mapping and, for a memfd, through read(). */
static void check_contents(struct __test_metadata *_metadata,
			   FIXTURE_DATA(shmem) *self, int node)
{
	char *copy;

	PM_ASSERT_WHERE(self->buf, NR_PAGES, self->psz, node, self->status,
			"query after move");
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz, "mapping");
	if (self->fd < 0)
		return;
	copy = malloc(self->len);
	ASSERT_NE(NULL, copy);
	ASSERT_EQ((ssize_t)self->len, pread(self->fd, copy, self->len, 0));
	PM_ASSERT_CONTENT(copy, self->len, SEED, self->psz, "read() of memfd");
	free(copy);
}

TEST_F_TIMEOUT(shmem, move_unshared, 90)
{
	int r;

	PM_RETURN_IF_SKIPPED();
	check_kind(_metadata, self);
	for (r = 0; r < 4; r++) {
		int to = (r & 1) ? self->node_a : self->node_b;

		PM_MOVE_OK(self->buf, NR_PAGES, self->psz, to, self->status, 0,
			   "shmem move");
		check_contents(_metadata, self, to);
	}
	check_kind(_metadata, self);
}

TEST_F_TIMEOUT(shmem, move_all_with_reader, 90)
{
	struct pm_check_result res;
	int r;

	PM_RETURN_IF_SKIPPED();
	ASSERT_EQ(0, pm_checker_start(&self->reader, self->buf, self->len,
				      self->psz, SEED));
	for (r = 0; r < 4; r++) {
		int to = (r & 1) ? self->node_a : self->node_b;

		PM_MOVE_OK(self->buf, NR_PAGES, self->psz, to, self->status,
			   MPOL_MF_MOVE_ALL, "shmem MOVE_ALL with a reader");
		check_contents(_metadata, self, to);
		ASSERT_EQ(0, pm_checker_ask(&self->reader, to, &res));
		ASSERT_EQ(-1, res.bad_off)
			TH_LOG("reader: byte %ld (page %ld) differs, node %d",
			       res.bad_off, res.bad_off / (long)self->psz, to);
		ASSERT_EQ(-1, res.bad_page)
			TH_LOG("reader: page %ld has status %d, expected node %d",
			       res.bad_page, res.bad_status, to);
	}
	check_kind(_metadata, self);
}

TEST_F_TIMEOUT(shmem, shared_without_move_all_is_refused, 90)
{
	struct pm_check_result res;
	long ret;

	PM_RETURN_IF_SKIPPED();
	ASSERT_EQ(0, pm_checker_start(&self->reader, self->buf, self->len,
				      self->psz, SEED));
	/* The reader has faulted every page in once it answers. */
	ASSERT_EQ(0, pm_checker_ask(&self->reader, self->node_a, &res));
	ASSERT_EQ(-1, res.bad_off);
	memset(self->status, 0x7f, sizeof(self->status));
	ret = pm_move(self->buf, NR_PAGES, self->psz, self->node_b,
		      self->status, 0);
	ASSERT_EQ(0, ret) TH_LOG("move_pages(0) returned %ld", ret);
	PM_ASSERT_STATUS(self->status, NR_PAGES, -EACCES,
			 "page mapped by two processes, no MOVE_ALL");
	check_contents(_metadata, self, self->node_a);
}

TEST_HARNESS_MAIN
