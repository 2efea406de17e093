// SPDX-License-Identifier: GPL-2.0
/*
 * migrate_pages(2) (6.1 mm/mempolicy.c kernel_migrate_pages): a whole
 * process moved from {n0} to {n1}, by itself, by a privileged process,
 * by an unprivileged one of the same uid, and refused (-EPERM) for a
 * caller that fails ptrace_may_access(PTRACE_MODE_READ_REALCREDS); also
 * numactl's migratepages(8); and the remapping of one node set onto
 * another over every memory node. Placement is checked with move_pages()
 * queries and /proc/PID/numa_maps, contents by the target itself.
 * Bad input: no such pid -ESRCH, maxnode too large or bits beyond
 * MAX_NUMNODES -EINVAL, a target set empty after masking with the
 * caller's cpuset -EINVAL, unreadable masks -EFAULT.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/wait.h>

#include "../../kselftest_harness.h"
#include "users_util.h"

#define NPAGES		64
#define MAXNODE		(8 * sizeof(unsigned long) + 1)

FIXTURE(mp)
{
	size_t psz;
	int n0, n1;
	unsigned long from, to;
	struct pm_target t;
	struct pm_shared_res *r;
};

FIXTURE_SETUP(mp)
{
	self->psz = getpagesize();
	self->t.pid = 0;
	self->r = NULL;
	pm_pick_nodes(&self->n0, &self->n1);
	if (self->n0 < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	if (self->n1 >= 64)
		SKIP(return, "node %d does not fit one mask word", self->n1);
	self->from = 1UL << self->n0;
	self->to = 1UL << self->n1;
	self->r = pm_shared_res();
	ASSERT_NE(NULL, self->r);
}

FIXTURE_TEARDOWN(mp)
{
	pm_target_stop(&self->t);
	if (self->r)
		munmap(self->r, sizeof(*self->r));
}

static void expect_placed(struct __test_metadata *_metadata, pid_t pid,
			  char *addr, size_t psz, int node, int other)
{
	int status[NPAGES];
	long i, c;

	memset(status, 0x7f, sizeof(status));
	ASSERT_EQ(0, pm_where_pid(pid, addr, NPAGES, psz, status));
	i = pm_first_status_not(status, NPAGES, node);
	EXPECT_EQ(-1, i) {
		TH_LOG("pid %d page %ld on %d, expected node %d", pid, i,
		       status[i], node);
	}
	c = pm_numa_maps_count(pid ? pid : getpid(), addr, node);
	EXPECT_EQ(NPAGES, c) {
		TH_LOG("numa_maps of %d at %p: N%d=%ld, expected %d", pid, addr,
		       node, c, NPAGES);
	}
	c = pm_numa_maps_count(pid ? pid : getpid(), addr, other);
	EXPECT_EQ(0, c) {
		TH_LOG("numa_maps of %d at %p: N%d=%ld, expected none", pid,
		       addr, other, c);
	}
}

TEST_F_TIMEOUT(mp, self_from_n0_to_n1, 120)
{
	size_t len = NPAGES * self->psz;
	int status[NPAGES];
	long ret;
	char *buf;

	PM_RETURN_IF_SKIPPED();
	buf = pm_map_isolated(len);
	ASSERT_NE(NULL, buf);
	pm_fill(buf, len, 41);
	ASSERT_EQ(0, pm_move(buf, NPAGES, self->psz, self->n0, status,
			     MPOL_MF_MOVE));
	expect_placed(_metadata, 0, buf, self->psz, self->n0, self->n1);
	ret = migrate_pages(0, MAXNODE, &self->from, &self->to);
	/* The number of pages that could not be moved; ours all can. */
	ASSERT_LE(0, ret) {
		TH_LOG("migrate_pages(self): %s", strerror(errno));
	}
	expect_placed(_metadata, 0, buf, self->psz, self->n1, self->n0);
	EXPECT_EQ(-1, pm_first_bad(buf, len, 41));
	/* And back, naming our own pid. */
	ASSERT_LE(0, migrate_pages(getpid(), MAXNODE, &self->to, &self->from));
	expect_placed(_metadata, 0, buf, self->psz, self->n0, self->n1);
	EXPECT_EQ(-1, pm_first_bad(buf, len, 41));
	munmap(buf, len);
}

TEST_F_TIMEOUT(mp, privileged_moves_other_process, 120)
{
	long ret;

	PM_RETURN_IF_SKIPPED();
	ASSERT_EQ(0, pm_target_start(&self->t, NPAGES * self->psz, 42,
				     self->n0, PM_NOBODY, 0));
	expect_placed(_metadata, self->t.pid, self->t.addr, self->psz,
		      self->n0, self->n1);
	ret = migrate_pages(self->t.pid, MAXNODE, &self->from, &self->to);
	ASSERT_LE(0, ret) {
		TH_LOG("migrate_pages(%d): %s", self->t.pid, strerror(errno));
	}
	expect_placed(_metadata, self->t.pid, self->t.addr, self->psz,
		      self->n1, self->n0);
	EXPECT_EQ(-1, pm_target_verify(&self->t));
}

struct mig {
	pid_t pid;
	unsigned long from, to;
};

static void do_mig(void *arg, struct pm_shared_res *r)
{
	struct mig *m = arg;

	errno = 0;
	r->ret = migrate_pages(m->pid, MAXNODE, &m->from, &m->to);
	r->err = errno;
}

static void unpriv(struct __test_metadata *_metadata, FIXTURE_DATA(mp) *self,
		   uid_t target_uid, long want_ret, int want_err)
{
	struct mig m;

	ASSERT_EQ(0, pm_target_start(&self->t, NPAGES * self->psz, 43,
				     self->n0, target_uid, 1));
	m.pid = self->t.pid;
	m.from = self->from;
	m.to = self->to;
	ASSERT_EQ(0, pm_run_as(PM_NOBODY, do_mig, &m, self->r));
	if (want_ret < 0) {
		EXPECT_EQ(-1, self->r->ret);
		EXPECT_EQ(want_err, self->r->err) {
			TH_LOG("nobody migrating uid %d's pid %d: errno %d (%s), expected %d",
			       target_uid, m.pid, self->r->err,
			       strerror(self->r->err), want_err);
		}
		expect_placed(_metadata, self->t.pid, self->t.addr, self->psz,
			      self->n0, self->n1);
	} else {
		EXPECT_LE(0, self->r->ret) {
			TH_LOG("nobody migrating own uid's pid %d: errno %d",
			       m.pid, self->r->err);
		}
		expect_placed(_metadata, self->t.pid, self->t.addr, self->psz,
			      self->n1, self->n0);
	}
	EXPECT_EQ(-1, pm_target_verify(&self->t));
}

TEST_F_TIMEOUT(mp, unprivileged_other_uid_is_eperm, 120)
{
	PM_RETURN_IF_SKIPPED();
	unpriv(_metadata, self, PM_OTHER_UID, -1, EPERM);
}

TEST_F_TIMEOUT(mp, unprivileged_root_target_is_eperm, 120)
{
	PM_RETURN_IF_SKIPPED();
	unpriv(_metadata, self, 0, -1, EPERM);
}

TEST_F_TIMEOUT(mp, unprivileged_same_uid_moves, 120)
{
	PM_RETURN_IF_SKIPPED();
	unpriv(_metadata, self, PM_NOBODY, 0, 0);
}

TEST_F_TIMEOUT(mp, migratepages_tool, 120)
{
	char cmd[128];
	int st;

	PM_RETURN_IF_SKIPPED();
	if (access("/usr/bin/migratepages", X_OK))
		SKIP(return, "no /usr/bin/migratepages (numactl)");
	ASSERT_EQ(0, pm_target_start(&self->t, NPAGES * self->psz, 44,
				     self->n0, 0, 1));
	snprintf(cmd, sizeof(cmd), "/usr/bin/migratepages %d %d %d",
		 self->t.pid, self->n0, self->n1);
	st = system(cmd);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		TH_LOG("'%s' exit status 0x%x", cmd, st);
	}
	expect_placed(_metadata, self->t.pid, self->t.addr, self->psz,
		      self->n1, self->n0);
	EXPECT_EQ(-1, pm_target_verify(&self->t));
}

/*
 * Migrate the target from the nodes from[0..nfrom) to to[0..nto), and
 * check that each page went where pm_remapped() says.
 */
static void migrate_sets(struct __test_metadata *_metadata,
			 struct pm_target *t, size_t psz, int *want,
			 const int *nodes, int nr, const int *from, int nfrom,
			 const int *to, int nto, const char *what)
{
	unsigned long fmask = pm_node_mask(from, nfrom);
	unsigned long tmask = pm_node_mask(to, nto);
	long ret;
	int i;

	for (i = 0; i < NPAGES; i++)
		want[i] = pm_remapped(want[i], from, nfrom, to, nto);
	ret = migrate_pages(t->pid, MAXNODE, &fmask, &tmask);
	ASSERT_LE(0, ret) {
		TH_LOG("%s (%#lx -> %#lx): %s", what, fmask, tmask,
		       strerror(errno));
	}
	PM_ASSERT_PLACED(t->pid, t->addr, NPAGES, psz, want, nodes, nr, what);
	EXPECT_EQ(-1, pm_target_verify(t)) {
		TH_LOG("%s: contents differ", what);
	}
}

/*
 * Pages on each node of the first half of the memory nodes; then first
 * half -> second half ({n0} -> {n1} on two nodes, {0,1} -> {2,3} on
 * four), back, and every node -> the last one.
 */
TEST_F_TIMEOUT(mp, remap_node_sets, 120)
{
	int nodes[PM_MAX_NODES], want[NPAGES], status[NPAGES];
	int nr, half, i;

	PM_RETURN_IF_SKIPPED();
	nr = pm_memory_nodes(nodes, PM_MAX_NODES);
	if (!pm_node_mask(nodes, nr))
		SKIP(return, "a node does not fit one mask word");
	half = nr / 2;
	ASSERT_EQ(0, pm_target_start(&self->t, NPAGES * self->psz, 45, -1, 0, 1));
	for (i = 0; i < NPAGES; i++)
		want[i] = nodes[i % half];
	pm_status_poison(status, NPAGES);
	ASSERT_EQ(0, pm_move_each_pid(self->t.pid, self->t.addr, NPAGES,
				      self->psz, want, status, MPOL_MF_MOVE));
	PM_ASSERT_PLACED(self->t.pid, self->t.addr, NPAGES, self->psz, want,
			 nodes, nr, "placed over the first half");
	migrate_sets(_metadata, &self->t, self->psz, want, nodes, nr,
		     nodes, half, nodes + half, nr - half,
		     "first half -> second half");
	migrate_sets(_metadata, &self->t, self->psz, want, nodes, nr,
		     nodes + half, nr - half, nodes, half,
		     "second half -> first half");
	migrate_sets(_metadata, &self->t, self->psz, want, nodes, nr,
		     nodes, nr, nodes + nr - 1, 1, "every node -> the last");
}

TEST_F_TIMEOUT(mp, bad_input, 120)
{
	unsigned long big[2] = { 0, 1UL << 63 }, empty = 0, *none;
	pid_t pid;

	PM_RETURN_IF_SKIPPED();
	pid = pm_reaped_pid();
	ASSERT_LT(0, pid);
	PM_EXPECT_ERRNO(ESRCH, migrate_pages(pid, MAXNODE, &self->from, &self->to));
	/* maxnode - 1 > PAGE_SIZE * 8 */
	PM_EXPECT_ERRNO(EINVAL, migrate_pages(0, self->psz * 8 + 2, &self->from,
					      &self->to));
	/* A bit set beyond MAX_NUMNODES. */
	if (numa_num_possible_nodes() < 64) {
		big[0] = self->to;
		big[1] = 0;
		big[0] |= 1UL << 63;
		PM_EXPECT_ERRNO(EINVAL, migrate_pages(0, MAXNODE, &self->from, big));
	}
	big[0] = self->to;
	big[1] = 1UL << 5;
	PM_EXPECT_ERRNO(EINVAL, migrate_pages(0, 2 * MAXNODE - 1, &self->from, big));
	/* Empty target set. */
	PM_EXPECT_ERRNO(EINVAL, migrate_pages(0, MAXNODE, &self->from, &empty));
	none = mmap(NULL, self->psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	PM_EXPECT_ERRNO(EFAULT, migrate_pages(0, MAXNODE, none, &self->to));
	PM_EXPECT_ERRNO(EFAULT, migrate_pages(0, MAXNODE, &self->from, none));
	munmap(none, self->psz);
	/* maxnode 0 or 1: both masks empty, nothing to do. */
	PM_EXPECT_ERRNO(EINVAL, migrate_pages(0, 1, &self->from, &self->to));
}

TEST_HARNESS_MAIN
