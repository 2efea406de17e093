// SPDX-License-Identifier: GPL-2.0
/*
 * move_pages(2) with bad input, against the 6.1 ABI in mm/migrate.c
 * (kernel_move_pages, do_pages_move, do_pages_stat, find_mm_struct):
 *   -EINVAL  flags other than MPOL_MF_MOVE|MPOL_MF_MOVE_ALL (checked first)
 *   -ENODEV  node < 0, >= MAX_NUMNODES, or without memory; pages before
 *            the bad entry are still moved (out_flush)
 *   -EACCES  node outside the task's cpuset mems (cgroup2 cpuset, or
 *            a cgroup v1 cpuset when v1 holds the controller)
 *   -EFAULT  unreadable pages/nodes arrays, unwritable status; in query
 *            mode the chunks (16) before the fault are reported
 *   -ESRCH   no such pid
 * Huge nr_pages must end in -EFAULT, never a crash or a hang.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../../kselftest_harness.h"
#include "users_util.h"

#define CG2		"/sys/fs/cgroup"
#define CG_CHILD	CG2 "/pm_bad_input"
#define V1_MNT		"/tmp/pm-cpuset-v1b"

FIXTURE(bad)
{
	size_t psz;
	int n0, n1;
	char *buf;	/* 4 pages, filled, on n0 */
};

FIXTURE_SETUP(bad)
{
	int status[4];

	self->psz = getpagesize();
	self->buf = NULL;
	pm_pick_nodes(&self->n0, &self->n1);
	if (self->n0 < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	self->buf = pm_map(4 * self->psz, MAP_PRIVATE | MAP_ANONYMOUS);
	ASSERT_NE(NULL, self->buf);
	pm_fill(self->buf, 4 * self->psz, 11);
	ASSERT_EQ(0, pm_move(self->buf, 4, self->psz, self->n0, status,
			     MPOL_MF_MOVE));
}

FIXTURE_TEARDOWN(bad)
{
	if (self->buf)
		munmap(self->buf, 4 * self->psz);
}

/* Pages [first, first + n) of the 4-page buffer: on node, intact. */
static void expect_on_at(struct __test_metadata *_metadata, char *buf,
			 unsigned long first, unsigned long n, size_t psz,
			 int node, const char *what)
{
	int status[8];
	long i;

	memset(status, 0x7f, sizeof(status));
	ASSERT_EQ(0, pm_where(buf + first * psz, n, psz, status));
	i = pm_first_status_not(status, n, node);
	EXPECT_EQ(-1, i) {
		TH_LOG("%s: page %ld on %d, expected node %d", what,
		       i + (long)first, status[i], node);
	}
	i = pm_first_bad(buf, (first + n) * psz, 11);
	EXPECT_EQ(-1, i) {
		TH_LOG("%s: contents differ at byte %ld", what, i);
	}
}

static void expect_on(struct __test_metadata *_metadata, char *buf,
		      unsigned long n, size_t psz, int node, const char *what)
{
	expect_on_at(_metadata, buf, 0, n, psz, node, what);
}

TEST_F(bad, invalid_flags)
{
	static const int bad_flags[] = { MPOL_MF_STRICT, 8, 16, 0x80000000, -1,
					 MPOL_MF_MOVE | 8 };
	void *page;
	int node, status;
	unsigned int i;

	PM_RETURN_IF_SKIPPED();
	page = self->buf;
	node = self->n1;
	for (i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++) {
		PM_EXPECT_ERRNO(EINVAL, move_pages(0, 1, &page, &node, &status,
						   bad_flags[i]));
		PM_EXPECT_ERRNO(EINVAL, move_pages(0, 1, &page, NULL, &status,
						   bad_flags[i]));
		/* Flags are checked before anything else. */
		PM_EXPECT_ERRNO(EINVAL, move_pages(-1, 0, NULL, NULL, NULL,
						   bad_flags[i]));
	}
	expect_on(_metadata, self->buf, 4, self->psz, self->n0, "after bad flags");
}

TEST_F(bad, node_out_of_range)
{
	static const int bad_nodes[] = { -1, -2, INT_MIN, 64, 1024, 4096,
					 INT_MAX };
	void *pages[4];
	int nodes[4], status[4];
	unsigned int i, k;

	PM_RETURN_IF_SKIPPED();
	for (i = 0; i < 4; i++)
		pages[i] = self->buf + i * self->psz;
	for (k = 0; k < sizeof(bad_nodes) / sizeof(bad_nodes[0]); k++) {
		for (i = 0; i < 4; i++)
			nodes[i] = bad_nodes[k];
		PM_EXPECT_ERRNO(ENODEV, move_pages(0, 4, pages, nodes, status,
						   MPOL_MF_MOVE));
	}
	expect_on(_metadata, self->buf, 4, self->psz, self->n0, "after bad nodes");
}

TEST_F(bad, bad_node_midway_moves_earlier_pages)
{
	void *pages[4];
	int nodes[4], status[4];
	unsigned int i;

	PM_RETURN_IF_SKIPPED();
	for (i = 0; i < 4; i++) {
		pages[i] = self->buf + i * self->psz;
		nodes[i] = self->n1;
	}
	nodes[2] = 1024;
	memset(status, 0x7f, sizeof(status));
	PM_EXPECT_ERRNO(ENODEV, move_pages(0, 4, pages, nodes, status,
					   MPOL_MF_MOVE));
	/* 6.1: the pages queued before the bad entry are migrated. */
	EXPECT_EQ(self->n1, status[0]);
	EXPECT_EQ(self->n1, status[1]);
	expect_on(_metadata, self->buf, 2, self->psz, self->n1,
		  "pages before the bad node");
	expect_on_at(_metadata, self->buf, 2, 2, self->psz, self->n0,
		     "pages from the bad node on");
	(void)status;
}

TEST_F(bad, node_without_memory)
{
	int node, status, n;
	void *page;

	PM_RETURN_IF_SKIPPED();
	/* A possible node (below MAX_NUMNODES) that has no memory. */
	for (n = 0; n < numa_num_possible_nodes(); n++)
		if (!numa_bitmask_isbitset(numa_nodes_ptr, n) ||
		    numa_node_size64(n, NULL) <= 0)
			break;
	if (n >= numa_num_possible_nodes())
		SKIP(return, "every possible node has memory");
	page = self->buf;
	node = n;
	PM_EXPECT_ERRNO(ENODEV, move_pages(0, 1, &page, &node, &status,
					   MPOL_MF_MOVE));
	TH_LOG("node %d (possible, no memory): -ENODEV", n);
	expect_on(_metadata, self->buf, 4, self->psz, self->n0,
		  "after memoryless node");
}

static int cg_write(const char *dir, const char *file, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return pm_write_str(path, val);
}

TEST_F(bad, node_outside_cpuset_is_eacces)
{
	struct pm_shared_res *r;
	char val[32], ctl[256];
	int cmd[2], res[2], nodes[4], status[4], st, was_on, v1;
	const char *dir, *procs;
	void *pages[4];
	pid_t pid;
	char c;
	int i;

	PM_RETURN_IF_SKIPPED();
	/*
	 * cgroup v2 when its cpuset controller is free; else (a cgroup v1
	 * cpuset hierarchy holds it, e.g. left by cpuset_migrate) v1.
	 */
	was_on = 1;
	v1 = 0;
	if (pm_read_str(CG2 "/cgroup.controllers", ctl, sizeof(ctl)) >= 0 &&
	    strstr(ctl, "cpuset")) {
		if (pm_read_str(CG2 "/cgroup.subtree_control", ctl, sizeof(ctl)) < 0)
			SKIP(return, "no " CG2 "/cgroup.subtree_control");
		was_on = strstr(ctl, "cpuset") != NULL;
		if (cg_write(CG2, "cgroup.subtree_control", "+cpuset"))
			SKIP(return, "cannot enable +cpuset in " CG2 "/cgroup.subtree_control");
		dir = CG_CHILD;
		procs = "cgroup.procs";
	} else {
		mkdir(V1_MNT, 0755);
		if (mount("none", V1_MNT, "cgroup", 0, "cpuset")) {
			rmdir(V1_MNT);
			SKIP(return, "cpuset neither in cgroup2 nor mountable as v1");
		}
		v1 = 1;
		dir = V1_MNT "/pm_bad_input";
		procs = "tasks";
	}
	rmdir(dir);
	ASSERT_EQ(0, mkdir(dir, 0755));
	if (v1) {
		ASSERT_LT(0, pm_read_str(V1_MNT "/cpuset.cpus", val, sizeof(val)));
		ASSERT_EQ(0, cg_write(dir, "cpuset.cpus", val));
	}
	snprintf(val, sizeof(val), "%d", self->n0);
	ASSERT_EQ(0, cg_write(dir, "cpuset.mems", val));
	r = pm_shared_res();
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, pipe(cmd));
	ASSERT_EQ(0, pipe(res));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		void *pg = self->buf;
		int node = self->n1;

		close(cmd[1]);
		close(res[0]);
		if (read(cmd[0], &c, 1) != 1)	/* moved into the cgroup */
			_exit(1);
		/* Own pages, node outside our cpuset: -EACCES. */
		errno = 0;
		r->ret = move_pages(0, 1, &pg, &node, r->status, MPOL_MF_MOVE);
		r->err = errno;
		/* The allowed node still works. */
		node = self->n0;
		r->status[1] = move_pages(0, 1, &pg, &node, &r->status[2],
					  MPOL_MF_MOVE);
		if (write(res[1], "d", 1) != 1)
			_exit(1);
		if (read(cmd[0], &c, 1) < 0)
			_exit(1);
		_exit(pm_first_bad(self->buf, 4 * self->psz, 11) == -1 ? 0 : 2);
	}
	close(cmd[0]);
	close(res[1]);
	snprintf(val, sizeof(val), "%d", pid);
	st = cg_write(dir, procs, val);
	EXPECT_EQ(0, st) {
		TH_LOG("moving pid %d into %s: %s", pid, dir, strerror(-st));
	}
	ASSERT_EQ(1, write(cmd[1], "g", 1));
	ASSERT_EQ(1, read(res[0], &c, 1));
	EXPECT_EQ(-1, r->ret);
	EXPECT_EQ(EACCES, r->err) {
		TH_LOG("own move to node %d outside cpuset.mems=%d: errno %d, expected %d",
		       self->n1, self->n0, r->err, EACCES);
	}
	EXPECT_EQ(0, r->status[1]);
	EXPECT_EQ(self->n0, r->status[2]);
	/* Another (root) process moving the child's pages: the target's mems. */
	for (i = 0; i < 4; i++) {
		pages[i] = self->buf + i * self->psz;
		nodes[i] = self->n1;
	}
	PM_EXPECT_ERRNO(EACCES, move_pages(pid, 4, pages, nodes, status,
					   MPOL_MF_MOVE_ALL));
	memset(status, 0x7f, sizeof(status));
	EXPECT_EQ(0, move_pages(pid, 4, pages, NULL, status, 0));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(self->n0, status[i]) {
			TH_LOG("child's page %d on %d, expected %d", i, status[i],
			       self->n0);
		}
	}
	ASSERT_EQ(1, write(cmd[1], "q", 1));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		TH_LOG("child exit status 0x%x (2: contents differ)", st);
	}
	close(cmd[1]);
	close(res[0]);
	EXPECT_EQ(0, rmdir(dir));
	/* Leave cpuset unbound from v2 again (cpuset_migrate needs v1). */
	if (!was_on)
		EXPECT_EQ(0, cg_write(CG2, "cgroup.subtree_control", "-cpuset"));
	if (v1) {
		EXPECT_EQ(0, pm_cpuset_v1_umount(V1_MNT))
			TH_LOG("cpuset did not go back to cgroup v2");
		rmdir(V1_MNT);
	}
}

TEST_F(bad, bad_pointers_are_efault)
{
	void *pages[4], *ro, *none;
	int nodes[4], status[4];
	int i;

	PM_RETURN_IF_SKIPPED();
	for (i = 0; i < 4; i++) {
		pages[i] = self->buf + i * self->psz;
		nodes[i] = self->n0;
	}
	ro = mmap(NULL, self->psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	none = mmap(NULL, self->psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(MAP_FAILED, none);
	/* pages array */
	PM_EXPECT_ERRNO(EFAULT, move_pages(0, 4, NULL, nodes, status, MPOL_MF_MOVE));
	PM_EXPECT_ERRNO(EFAULT, move_pages(0, 4, NULL, NULL, status, 0));
	PM_EXPECT_ERRNO(EFAULT, move_pages(0, 4, none, nodes, status, MPOL_MF_MOVE));
	PM_EXPECT_ERRNO(EFAULT, move_pages(0, 4, none, NULL, status, 0));
	PM_EXPECT_ERRNO(EFAULT, move_pages(0, 4, (void **)-4096L, NULL, status, 0));
	/* nodes array */
	PM_EXPECT_ERRNO(EFAULT, move_pages(0, 4, pages, none, status, MPOL_MF_MOVE));
	PM_EXPECT_ERRNO(EFAULT, move_pages(0, 4, pages, (int *)-4096L, status,
					   MPOL_MF_MOVE));
	/* status array: NULL, read-only, PROT_NONE */
	PM_EXPECT_ERRNO(EFAULT, move_pages(0, 4, pages, nodes, NULL, MPOL_MF_MOVE));
	PM_EXPECT_ERRNO(EFAULT, move_pages(0, 4, pages, NULL, NULL, 0));
	PM_EXPECT_ERRNO(EFAULT, move_pages(0, 4, pages, nodes, ro, MPOL_MF_MOVE));
	PM_EXPECT_ERRNO(EFAULT, move_pages(0, 4, pages, NULL, ro, 0));
	PM_EXPECT_ERRNO(EFAULT, move_pages(0, 4, pages, NULL, none, 0));
	expect_on(_metadata, self->buf, 4, self->psz, self->n0,
		  "after bad pointers");
	munmap(ro, self->psz);
	munmap(none, self->psz);
}

/*
 * A pages array whose first 16 entries are readable and the rest not:
 * query mode reports the first full chunk, then fails with -EFAULT.
 */
TEST_F(bad, query_fault_after_first_chunk)
{
	int nodes[20], status[20], st16[16];
	char *area, *b16;
	void **pages;
	long off;
	int i;

	PM_RETURN_IF_SKIPPED();
	b16 = pm_map(16 * self->psz, MAP_PRIVATE | MAP_ANONYMOUS);
	ASSERT_NE(NULL, b16);
	pm_fill(b16, 16 * self->psz, 12);
	ASSERT_EQ(0, pm_move(b16, 16, self->psz, self->n0, st16, MPOL_MF_MOVE));
	area = mmap(NULL, 2 * self->psz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, mprotect(area + self->psz, self->psz, PROT_NONE));
	pages = (void **)(area + self->psz) - 16;
	for (i = 0; i < 16; i++)
		pages[i] = b16 + i * self->psz;
	for (i = 0; i < 20; i++)
		status[i] = 12345;
	PM_EXPECT_ERRNO(EFAULT, move_pages(0, 20, pages, NULL, status, 0));
	for (i = 0; i < 20; i++) {
		int want = i < 16 ? self->n0 : 12345;

		EXPECT_EQ(want, status[i]) {
			TH_LOG("query status[%d] %d, expected %d", i, status[i],
			       want);
		}
	}
	/* Move mode walks entry by entry: the 16 readable ones are done. */
	for (i = 0; i < 20; i++) {
		nodes[i] = self->n1;
		status[i] = 12345;
	}
	PM_EXPECT_ERRNO(EFAULT, move_pages(0, 20, pages, nodes, status,
					   MPOL_MF_MOVE));
	for (i = 0; i < 20; i++) {
		int want = i < 16 ? self->n1 : 12345;

		EXPECT_EQ(want, status[i]) {
			TH_LOG("move status[%d] %d, expected %d", i, status[i],
			       want);
		}
	}
	memset(st16, 0x7f, sizeof(st16));
	ASSERT_EQ(0, pm_where(b16, 16, self->psz, st16));
	for (i = 0; i < 16; i++) {
		EXPECT_EQ(self->n1, st16[i]) {
			TH_LOG("page %d on %d after the faulting move, expected %d",
			       i, st16[i], self->n1);
		}
	}
	off = pm_first_bad(b16, 16 * self->psz, 12);
	EXPECT_EQ(-1, off);
	munmap(area, 2 * self->psz);
	munmap(b16, 16 * self->psz);
}

TEST_F(bad, nonexistent_pid_is_esrch)
{
	void *page = self->buf;
	int node, status;
	pid_t pid;

	PM_RETURN_IF_SKIPPED();
	pid = pm_reaped_pid();
	ASSERT_LT(0, pid);
	node = self->n1;
	PM_EXPECT_ERRNO(ESRCH, move_pages(pid, 1, &page, &node, &status,
					  MPOL_MF_MOVE));
	PM_EXPECT_ERRNO(ESRCH, move_pages(pid, 1, &page, NULL, &status, 0));
	PM_EXPECT_ERRNO(ESRCH, move_pages(-1, 1, &page, NULL, &status, 0));
	PM_EXPECT_ERRNO(ESRCH, move_pages(INT_MAX, 1, &page, NULL, &status, 0));
	PM_EXPECT_ERRNO(ESRCH, move_pages(INT_MIN, 1, &page, &node, &status,
					  MPOL_MF_MOVE_ALL));
	expect_on(_metadata, self->buf, 4, self->psz, self->n0, "after -ESRCH");
}

TEST_F(bad, huge_nr_pages)
{
	static const unsigned long huge[] = { ULONG_MAX, ULONG_MAX / 2,
					      1UL << 62, 1UL << 32, 1UL << 31,
					      (1UL << 31) + 5 };
	void *pages[4];
	int nodes[4], status[4];
	unsigned int i, k;

	PM_RETURN_IF_SKIPPED();
	for (i = 0; i < 4; i++) {
		pages[i] = self->buf + i * self->psz;
		nodes[i] = self->n0;
	}
	for (k = 0; k < sizeof(huge) / sizeof(huge[0]); k++) {
		/* Arrays of 4: the fifth entry is past them (stack), or a
		 * NULL array: either way the walk must end in -EFAULT. */
		PM_EXPECT_ERRNO(EFAULT, move_pages(0, huge[k], NULL, NULL, status, 0));
		PM_EXPECT_ERRNO(EFAULT, move_pages(0, huge[k], NULL, nodes, status,
						   MPOL_MF_MOVE));
		PM_EXPECT_ERRNO(EFAULT, move_pages(0, huge[k], pages, NULL, NULL, 0));
		PM_EXPECT_ERRNO(EFAULT, move_pages(0, huge[k], pages, nodes, NULL,
						   MPOL_MF_MOVE));
	}
	expect_on(_metadata, self->buf, 4, self->psz, self->n0,
		  "after huge nr_pages");
}

TEST_HARNESS_MAIN
