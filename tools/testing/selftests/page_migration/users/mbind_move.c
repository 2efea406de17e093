// SPDX-License-Identifier: GPL-2.0
/*
 * mbind(2) with MPOL_MF_MOVE, MPOL_MF_MOVE_ALL and MPOL_MF_STRICT on
 * anon, shmem and tmpfs-file mappings, per 6.1 mm/mempolicy.c do_mbind:
 *   MOVE               misplaced unshared pages are migrated
 *   STRICT alone       a misplaced page: -EIO, and no policy is set
 *   MOVE|STRICT        0 when every unshared misplaced page moved
 *   shared pages       MOVE leaves them (returns 0, also with STRICT:
 *                      a shared folio is skipped, not "unmovable");
 *                      MOVE_ALL (CAP_SYS_NICE) moves them
 *   MOVE_ALL w/o cap   -EPERM; unknown flags -EINVAL
 *   MPOL_INTERLEAVE    pages off the set move, each to the node of its
 *                      offset in the vma; pages on the set stay
 * Contents are checked after every call.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <linux/magic.h>

#include "../../kselftest_harness.h"
#include "users_util.h"

#define NPAGES	32
#define MAXNODE	(8 * sizeof(unsigned long) + 1)
#define TMPDIR	"/tmp"

enum kind { ANON, SHMEM, TMPFS_FILE };

FIXTURE(mb)
{
	size_t psz, len;
	int n0, n1;
	char *buf;
	int fd;
	char path[64];
};

FIXTURE_VARIANT(mb)
{
	enum kind kind;
};

FIXTURE_VARIANT_ADD(mb, anon) { .kind = ANON };
FIXTURE_VARIANT_ADD(mb, shmem) { .kind = SHMEM };
FIXTURE_VARIANT_ADD(mb, tmpfs_file) { .kind = TMPFS_FILE };

FIXTURE_SETUP(mb)
{
	int status[NPAGES];
	struct statfs sfs;

	self->psz = getpagesize();
	self->len = NPAGES * self->psz;
	self->buf = NULL;
	self->fd = -1;
	pm_pick_nodes(&self->n0, &self->n1);
	if (self->n0 < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	if (self->n1 >= 64)
		SKIP(return, "node %d does not fit one mask word", self->n1);
	switch (variant->kind) {
	case ANON:
		self->buf = pm_map(self->len, MAP_PRIVATE | MAP_ANONYMOUS);
		break;
	case SHMEM:
		self->buf = pm_map(self->len, MAP_SHARED | MAP_ANONYMOUS);
		break;
	case TMPFS_FILE:
		if (statfs(TMPDIR, &sfs) || sfs.f_type != TMPFS_MAGIC)
			SKIP(return, TMPDIR " is not tmpfs");
		snprintf(self->path, sizeof(self->path), TMPDIR "/pm-mbind-XXXXXX");
		self->fd = mkstemp(self->path);
		ASSERT_LE(0, self->fd);
		ASSERT_EQ(0, ftruncate(self->fd, self->len));
		self->buf = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
				 MAP_SHARED, self->fd, 0);
		if (self->buf == MAP_FAILED)
			self->buf = NULL;
		break;
	}
	ASSERT_NE(NULL, self->buf);
	pm_fill(self->buf, self->len, 51);
	ASSERT_EQ(0, pm_move(self->buf, NPAGES, self->psz, self->n0, status,
			     MPOL_MF_MOVE));
	ASSERT_EQ(-1, pm_first_status_not(status, NPAGES, self->n0));
}

FIXTURE_TEARDOWN(mb)
{
	if (self->buf)
		munmap(self->buf, self->len);
	if (self->fd >= 0) {
		close(self->fd);
		unlink(self->path);
	}
}

static void expect_on(struct __test_metadata *_metadata, pid_t pid, char *buf,
		      size_t psz, int node, const char *what)
{
	int status[NPAGES];
	long i;

	memset(status, 0x7f, sizeof(status));
	ASSERT_EQ(0, pm_where_pid(pid, buf, NPAGES, psz, status));
	i = pm_first_status_not(status, NPAGES, node);
	EXPECT_EQ(-1, i) {
		TH_LOG("%s: page %ld on %d, expected node %d", what, i,
		       status[i], node);
	}
	i = pm_first_bad(buf, NPAGES * psz, 51);
	EXPECT_EQ(-1, i) {
		TH_LOG("%s: contents differ at byte %ld", what, i);
	}
}

static long do_mbind(char *buf, size_t len, int mode, int node, unsigned flags)
{
	unsigned long mask = 1UL << node;

	errno = 0;
	return mbind(buf, len, mode, mode == MPOL_DEFAULT ? NULL : &mask,
		     mode == MPOL_DEFAULT ? 0 : MAXNODE, flags);
}

static int policy_at(char *addr)
{
	unsigned long mask = 0;
	int mode = -1;

	if (get_mempolicy(&mode, &mask, MAXNODE, addr, MPOL_F_ADDR))
		return -errno;
	return mode;
}

TEST_F_TIMEOUT(mb, move, 120)
{
	PM_RETURN_IF_SKIPPED();
	EXPECT_EQ(0, do_mbind(self->buf, self->len, MPOL_BIND, self->n1,
			      MPOL_MF_MOVE)) {
		TH_LOG("mbind(BIND %d, MOVE): %s", self->n1, strerror(errno));
	}
	expect_on(_metadata, 0, self->buf, self->psz, self->n1, "MPOL_MF_MOVE");
	EXPECT_EQ(MPOL_BIND, policy_at(self->buf));
	/* New pages follow the policy too (file: page cache is there). */
	EXPECT_EQ(0, do_mbind(self->buf, self->len, MPOL_BIND, self->n0,
			      MPOL_MF_MOVE | MPOL_MF_STRICT));
	expect_on(_metadata, 0, self->buf, self->psz, self->n0,
		  "MPOL_MF_MOVE|MPOL_MF_STRICT back");
}

TEST_F_TIMEOUT(mb, strict_without_move_is_eio, 120)
{
	int st, node;
	void *pg;

	PM_RETURN_IF_SKIPPED();
	EXPECT_EQ(-1, do_mbind(self->buf, self->len, MPOL_BIND, self->n1,
			       MPOL_MF_STRICT));
	EXPECT_EQ(EIO, errno) {
		TH_LOG("mbind(BIND %d, STRICT) with pages on %d: errno %d, expected EIO",
		       self->n1, self->n0, errno);
	}
	expect_on(_metadata, 0, self->buf, self->psz, self->n0, "after -EIO");
	/* 6.1: the walk failed before mbind_range(): no policy set. */
	EXPECT_EQ(MPOL_DEFAULT, policy_at(self->buf));
	/* Misplaced page in the middle only. */
	pg = self->buf + 5 * self->psz;
	node = self->n1;
	EXPECT_EQ(0, do_mbind(self->buf, self->len, MPOL_BIND, self->n0,
			      MPOL_MF_STRICT));
	ASSERT_EQ(0, move_pages(0, 1, &pg, &node, &st, MPOL_MF_MOVE));
	ASSERT_EQ(self->n1, st);
	EXPECT_EQ(-1, do_mbind(self->buf, self->len, MPOL_BIND,
			       self->n0, MPOL_MF_STRICT));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(0, do_mbind(self->buf, self->len, MPOL_BIND,
			      self->n0, MPOL_MF_STRICT | MPOL_MF_MOVE));
	expect_on(_metadata, 0, self->buf, self->psz, self->n0,
		  "misplaced page brought back");
}

TEST_F_TIMEOUT(mb, strict_when_placed_is_ok, 120)
{
	PM_RETURN_IF_SKIPPED();
	EXPECT_EQ(0, do_mbind(self->buf, self->len, MPOL_BIND, self->n0,
			      MPOL_MF_STRICT)) {
		TH_LOG("mbind(BIND %d, STRICT), pages on it: %s", self->n0,
		       strerror(errno));
	}
	EXPECT_EQ(MPOL_BIND, policy_at(self->buf));
	/* MPOL_DEFAULT drops STRICT: no -EIO for any placement. */
	EXPECT_EQ(0, do_mbind(self->buf, self->len, MPOL_DEFAULT, 0,
			      MPOL_MF_STRICT));
	expect_on(_metadata, 0, self->buf, self->psz, self->n0, "placed");
}

TEST_F_TIMEOUT(mb, shared_pages_need_move_all, 120)
{
	int sync[2], st;
	pid_t pid;
	char c;

	PM_RETURN_IF_SKIPPED();
	ASSERT_EQ(0, pipe(sync));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		volatile char x = 0;
		size_t i;

		/* Map every page in the child too (shmem/file: fault). */
		for (i = 0; i < self->len; i += self->psz)
			x += self->buf[i];
		(void)x;
		close(sync[0]);
		if (write(sync[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(sync[1]);
	ASSERT_EQ(1, read(sync[0], &c, 1));
	EXPECT_EQ(0, do_mbind(self->buf, self->len, MPOL_BIND, self->n1,
			      MPOL_MF_MOVE));
	expect_on(_metadata, 0, self->buf, self->psz, self->n0,
		  "shared pages with MPOL_MF_MOVE");
	EXPECT_EQ(0, do_mbind(self->buf, self->len, MPOL_BIND, self->n1,
			      MPOL_MF_MOVE | MPOL_MF_STRICT)) {
		TH_LOG("MOVE|STRICT on shared pages: errno %d", errno);
	}
	expect_on(_metadata, 0, self->buf, self->psz, self->n0,
		  "shared pages with MPOL_MF_MOVE|STRICT");
	EXPECT_EQ(0, do_mbind(self->buf, self->len, MPOL_BIND, self->n1,
			      MPOL_MF_MOVE_ALL)) {
		TH_LOG("MOVE_ALL: %s", strerror(errno));
	}
	expect_on(_metadata, 0, self->buf, self->psz, self->n1,
		  "shared pages with MPOL_MF_MOVE_ALL");
	expect_on(_metadata, pid, self->buf, self->psz, self->n1,
		  "the child's view after MPOL_MF_MOVE_ALL");
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	close(sync[0]);
}

/*
 * mbind(MPOL_INTERLEAVE over set[0..nset), flags) on the buffer, and the
 * placement 6.1 gives: a page on a node of the set stays (see
 * queue_pages_required()), the others move to set[off % nset], off
 * being vm_pgoff plus the page's index in the vma (interleave_nid()):
 * the virtual page number for private anon, the file index otherwise,
 * cut to an unsigned int by offset_il_node().
 */
static void interleave(struct __test_metadata *_metadata,
		       FIXTURE_DATA(mb) *self, bool anon, int *want,
		       const int *set, int nset, unsigned int flags,
		       const char *what)
{
	unsigned long mask = pm_node_mask(set, nset);
	unsigned long off = anon ? (uintptr_t)self->buf / self->psz : 0;
	int nodes[PM_MAX_NODES], nr = pm_memory_nodes(nodes, PM_MAX_NODES);
	int i;

	for (i = 0; i < NPAGES; i++)
		if (pm_node_index(want[i], set, nset) < 0)
			want[i] = set[(unsigned int)(off + i) % nset];
	errno = 0;
	EXPECT_EQ(0, mbind(self->buf, self->len, MPOL_INTERLEAVE, &mask,
			   MAXNODE, flags)) {
		TH_LOG("%s: mbind(INTERLEAVE %#lx, %#x): %s", what, mask,
		       flags, strerror(errno));
	}
	EXPECT_EQ(MPOL_INTERLEAVE, policy_at(self->buf));
	PM_ASSERT_PLACED(0, self->buf, NPAGES, self->psz, want, nodes, nr,
			 what);
	PM_ASSERT_CONTENT(self->buf, self->len, 51, self->psz, what);
}

/*
 * From n0 (the first node) to every other node, the pages on the last
 * one then to every node but it, and over every node nothing moves.
 */
TEST_F_TIMEOUT(mb, interleave_over_every_node, 120)
{
	int nodes[PM_MAX_NODES], want[NPAGES], nr, i;
	bool anon = variant->kind == ANON;

	PM_RETURN_IF_SKIPPED();
	nr = pm_memory_nodes(nodes, PM_MAX_NODES);
	if (!pm_node_mask(nodes, nr))
		SKIP(return, "a node does not fit one mask word");
	for (i = 0; i < NPAGES; i++)
		want[i] = self->n0;
	interleave(_metadata, self, anon, want, nodes + 1, nr - 1,
		   MPOL_MF_MOVE, "interleave over every node but the first");
	interleave(_metadata, self, anon, want, nodes, nr - 1, MPOL_MF_MOVE,
		   "interleave over every node but the last");
	interleave(_metadata, self, anon, want, nodes, nr,
		   MPOL_MF_MOVE | MPOL_MF_STRICT, "interleave over every node");
}

struct mbarg {
	char *buf;
	size_t len;
	int node;
};

static void do_move_all(void *arg, struct pm_shared_res *r)
{
	struct mbarg *a = arg;

	r->ret = do_mbind(a->buf, a->len, MPOL_BIND, a->node, MPOL_MF_MOVE_ALL);
	r->err = errno;
}

TEST_F_TIMEOUT(mb, bad_flags, 120)
{
	static const unsigned bad[] = { 1 << 5, 1 << 8, 0x80000000 };
	struct pm_shared_res *r;
	struct mbarg a = { self->buf, self->len, self->n1 };
	unsigned int i;

	PM_RETURN_IF_SKIPPED();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-1, do_mbind(self->buf, self->len, MPOL_BIND,
				       self->n1, MPOL_MF_MOVE | bad[i]));
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("flags %#x: errno %d, expected EINVAL", bad[i], errno);
		}
	}
	r = pm_shared_res();
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, pm_run_as(PM_NOBODY, do_move_all, &a, r));
	EXPECT_EQ(-1, r->ret);
	EXPECT_EQ(EPERM, r->err) {
		TH_LOG("MOVE_ALL as nobody: errno %d, expected EPERM", r->err);
	}
	munmap(r, sizeof(*r));
	expect_on(_metadata, 0, self->buf, self->psz, self->n0, "after bad flags");
}

TEST_HARNESS_MAIN
