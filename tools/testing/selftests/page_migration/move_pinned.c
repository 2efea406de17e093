// SPDX-License-Identifier: GPL-2.0
/*
 * Pages pinned with FOLL_PIN | FOLL_LONGTERM (io_uring registered
 * buffers, through raw syscalls) must not move: move_pages() reports
 * them as not migrated, the pages stay on their node and every byte is
 * intact. Once the buffers are unregistered (unpinned) they move.
 *
 * Stock 6.1: migration of a pinned anonymous page fails with -EAGAIN
 * until the retries run out; move_pages() then returns the number of
 * pages not migrated and leaves their status entries as they were.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "../kselftest_harness.h"
#include "pm_test.h"

#define NR_PAGES	64
#define SEED		81
#define POISON		0x7f7f7f7f

/* From <linux/io_uring.h>, which does not build against the tools uapi. */
#define IORING_REGISTER_BUFFERS		0
#define IORING_UNREGISTER_BUFFERS	1
#define IO_URING_PARAMS_SIZE		120	/* struct io_uring_params */

FIXTURE(pinned)
{
	int node_a, node_b;
	size_t psz, len;
	char *buf;
	int ring;
	int registered;
	int status[NR_PAGES];
};

FIXTURE_SETUP(pinned)
{
	uint64_t p[IO_URING_PARAMS_SIZE / 8];

	self->ring = -1;
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	self->psz = getpagesize();
	self->len = NR_PAGES * self->psz;
	memset(&p, 0, sizeof(p));
	self->ring = syscall(__NR_io_uring_setup, 4, p);
	if (self->ring < 0)
		SKIP(return, "io_uring_setup: %s (CONFIG_IO_URING)",
		     strerror(errno));
	self->buf = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	ASSERT_EQ(0, madvise(self->buf, self->len, MADV_NOHUGEPAGE));
	pm_fill(self->buf, self->len, SEED);
	PM_MOVE_OK(self->buf, NR_PAGES, self->psz, self->node_a, self->status,
		   0, "initial placement");
}

FIXTURE_TEARDOWN(pinned)
{
	if (self->registered)
		syscall(__NR_io_uring_register, self->ring,
			IORING_UNREGISTER_BUFFERS, NULL, 0);
	if (self->ring >= 0)
		close(self->ring);
	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, self->len);
}

static void pin(struct __test_metadata *_metadata, FIXTURE_DATA(pinned) *self)
{
	struct iovec iov = { .iov_base = self->buf, .iov_len = self->len };

	ASSERT_EQ(0, syscall(__NR_io_uring_register, self->ring,
			     IORING_REGISTER_BUFFERS, &iov, 1))
		TH_LOG("IORING_REGISTER_BUFFERS: %s", strerror(errno));
	self->registered = 1;
}

static void unpin(struct __test_metadata *_metadata,
		  FIXTURE_DATA(pinned) *self)
{
	ASSERT_EQ(0, syscall(__NR_io_uring_register, self->ring,
			     IORING_UNREGISTER_BUFFERS, NULL, 0))
		TH_LOG("IORING_UNREGISTER_BUFFERS: %s", strerror(errno));
	self->registered = 0;
}

TEST_F_TIMEOUT(pinned, pinned_pages_stay_then_move, 90)
{
	long ret, fail0;

	PM_RETURN_IF_SKIPPED();
	pin(_metadata, self);
	/* Pinning does not change where the pages are or what they hold. */
	PM_ASSERT_WHERE(self->buf, NR_PAGES, self->psz, self->node_a,
			self->status, "after pinning");
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "after pinning");

	fail0 = pm_vmstat("pgmigrate_fail");
	pm_status_poison(self->status, NR_PAGES);
	ret = pm_move(self->buf, NR_PAGES, self->psz, self->node_b,
		      self->status, 0);
	TH_LOG("pinned move: move_pages returned %ld, status[0] %d, pgmigrate_fail +%ld",
	       ret, self->status[0], pm_vmstat("pgmigrate_fail") - fail0);
	ASSERT_EQ(NR_PAGES, ret)
		TH_LOG("move_pages of %d pinned pages returned %ld, expected %d not migrated",
		       NR_PAGES, ret, NR_PAGES);
	/* Stock 6.1 does not write the status of a batch that failed. */
	PM_ASSERT_STATUS(self->status, NR_PAGES, POISON,
			 "pinned page (status left as the caller set it)");
	ASSERT_LE(fail0 + NR_PAGES, pm_vmstat("pgmigrate_fail"));
	PM_ASSERT_WHERE(self->buf, NR_PAGES, self->psz, self->node_a,
			self->status, "pinned pages after the refused move");
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "pinned pages after the refused move");

	/* The pin is still effective: writes through the mapping land. */
	pm_fill(self->buf, self->len, SEED + 1);
	PM_ASSERT_CONTENT(self->buf, self->len, SEED + 1, self->psz,
			  "rewritten while pinned");

	unpin(_metadata, self);
	PM_MOVE_OK(self->buf, NR_PAGES, self->psz, self->node_b, self->status,
		   0, "unpinned pages");
	PM_ASSERT_WHERE(self->buf, NR_PAGES, self->psz, self->node_b,
			self->status, "after unpinning and moving");
	PM_ASSERT_CONTENT(self->buf, self->len, SEED + 1, self->psz,
			  "after unpinning and moving");
}

TEST_HARNESS_MAIN
