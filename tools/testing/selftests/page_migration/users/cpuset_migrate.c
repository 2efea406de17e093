// SPDX-License-Identifier: GPL-2.0
/*
 * Cpusets migrate a task's pages (6.1 kernel/cgroup/cpuset.c):
 * - cgroup v2: CS_MEMORY_MIGRATE is always set on the default
 *   hierarchy, so changing cpuset.mems moves the pages of the tasks in
 *   the cgroup, and attaching a task to a cgroup moves them too;
 * - cgroup v1: only with cpuset.memory_migrate=1 in the destination:
 *   moving a task into it moves its pages; with 0 they stay.
 * The v1 case mounts a cpuset hierarchy, which needs the cpuset
 * controller unused in v2; the v2 case runs first and leaves it so.
 * Placement is checked with move_pages() queries, contents by the task.
 */
#define _GNU_SOURCE
#include <sys/mount.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "../../kselftest_harness.h"
#include "users_util.h"

#define NPAGES	64
#define CG2	"/sys/fs/cgroup"
#define V2DIR	CG2 "/pm_cpuset_migrate"
#define V1MNT	"/tmp/pm-cpuset-v1"

FIXTURE(cs)
{
	size_t psz;
	int n0, n1;
	struct pm_target t;
	int v2_was_on;	/* -1: no V2DIR made; else "+cpuset" was on before */
	bool v1_mounted;	/* V1MNT holds a cpuset hierarchy of ours */
	unsigned int v1_dirs;	/* of v1_dirs[] made in it */
};

static const char *const v1_dirs[] = { V1MNT "/a", V1MNT "/b", V1MNT "/c" };

FIXTURE_SETUP(cs)
{
	self->psz = getpagesize();
	self->t.pid = 0;
	self->v2_was_on = -1;
	self->v1_mounted = false;
	self->v1_dirs = 0;
	pm_pick_nodes(&self->n0, &self->n1);
	if (self->n0 < 0)
		SKIP(return, "needs two NUMA nodes with memory");
}

static void v2_remove(struct __test_metadata *_metadata,
		      FIXTURE_DATA(cs) *self);
static void v1_remove(struct __test_metadata *_metadata,
		      FIXTURE_DATA(cs) *self);

FIXTURE_TEARDOWN(cs)
{
	v2_remove(_metadata, self);
	v1_remove(_metadata, self);
	pm_target_stop(&self->t);
}

static int wr(const char *dir, const char *file, const char *fmt, long v)
{
	char path[256], val[64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(val, sizeof(val), fmt, v);
	return pm_write_str(path, val);
}

/* Page i of the target on want[i] within 5 s: -1, the bad index, or -2. */
static long wait_placed(pid_t pid, char *addr, size_t psz, const int *want,
			int *status)
{
	long i = 0;
	int tries;

	for (tries = 0; tries < 50; tries++) {
		if (pm_where_pid(pid, addr, NPAGES, psz, status))
			return -2;
		i = pm_first_misplaced(status, want, NPAGES);
		if (i < 0)
			return -1;
		usleep(100000);
	}
	return i;
}

#define EXPECT_TARGET_PLACED(want, what) do {				\
	const int *_want = (want);					\
	int _st[NPAGES];						\
	long _i = wait_placed(self->t.pid, self->t.addr, self->psz,	\
			      _want, _st);				\
	EXPECT_EQ(-1, _i) {						\
		TH_LOG("%s: page %ld on %d, expected node %d", what, _i,	\
		       _i >= 0 ? _st[_i] : -1, _i >= 0 ? _want[_i] : -1); \
	}								\
	EXPECT_EQ(-1, pm_target_verify(&self->t)) {			\
		TH_LOG("%s: contents differ", what);			\
	}								\
} while (0)

#define EXPECT_TARGET_ON(node, what) do {				\
	int _on[NPAGES], _k;						\
	for (_k = 0; _k < NPAGES; _k++)					\
		_on[_k] = (node);					\
	EXPECT_TARGET_PLACED(_on, what);				\
} while (0)

/* A v2 cpuset cgroup at V2DIR: 0, or 1 and SKIP() when there is none. */
static int v2_make(struct __test_metadata *_metadata, FIXTURE_DATA(cs) *self)
{
	char ctl[256];

	if (pm_read_str(CG2 "/cgroup.controllers", ctl, sizeof(ctl)) < 0 ||
	    !strstr(ctl, "cpuset")) {
		SKIP(return 1, "no cgroup2 cpuset controller at " CG2);
	}
	ASSERT_LE(0, pm_read_str(CG2 "/cgroup.subtree_control", ctl,
				 sizeof(ctl)));
	self->v2_was_on = strstr(ctl, "cpuset") != NULL;
	ASSERT_EQ(0, pm_write_str(CG2 "/cgroup.subtree_control", "+cpuset"));
	rmdir(V2DIR);
	ASSERT_EQ(0, mkdir(V2DIR, 0755));
	return 0;
}

/*
 * Undo v2_make(), also after a failed assertion (from the teardown):
 * move the target back to the root, stop it, and remove V2DIR.
 */
static void v2_remove(struct __test_metadata *_metadata,
		      FIXTURE_DATA(cs) *self)
{
	int was_on = self->v2_was_on;

	if (was_on < 0)
		return;
	self->v2_was_on = -1;
	if (self->t.pid > 0)
		EXPECT_EQ(0, wr(CG2, "cgroup.procs", "%ld", self->t.pid));
	pm_target_stop(&self->t);
	EXPECT_EQ(0, rmdir(V2DIR));
	if (!was_on)
		EXPECT_EQ(0, pm_write_str(CG2 "/cgroup.subtree_control", "-cpuset"));
}

/*
 * Undo the v1 case's mount, also after a failed assertion (from the
 * teardown): the target back to the root and stopped, the cgroups made
 * removed, and the hierarchy unmounted, so that the cpuset controller
 * goes back to cgroup v2.
 */
static void v1_remove(struct __test_metadata *_metadata,
		      FIXTURE_DATA(cs) *self)
{
	if (!self->v1_mounted)
		return;
	self->v1_mounted = false;
	if (self->t.pid > 0)
		EXPECT_EQ(0, wr(V1MNT, "tasks", "%ld", self->t.pid));
	pm_target_stop(&self->t);
	while (self->v1_dirs) {
		const char *dir = v1_dirs[--self->v1_dirs];

		EXPECT_EQ(0, rmdir(dir))
			TH_LOG("rmdir %s: %s", dir, strerror(errno));
	}
	EXPECT_EQ(0, pm_cpuset_v1_umount(V1MNT))
		TH_LOG("cpuset did not go back to cgroup v2");
	rmdir(V1MNT);
}

TEST_F_TIMEOUT(cs, v2_mems_change_and_attach_migrate, 120)
{
	int ret;

	PM_RETURN_IF_SKIPPED();
	if (v2_make(_metadata, self))
		return;
	ASSERT_EQ(0, wr(V2DIR, "cpuset.mems", "%ld", self->n0));

	/* mems 0 -> 1 with the task inside. */
	ASSERT_EQ(0, pm_target_start(&self->t, NPAGES * self->psz, 61,
				     self->n0, 0, 1));
	ASSERT_EQ(0, wr(V2DIR, "cgroup.procs", "%ld", self->t.pid));
	EXPECT_TARGET_ON(self->n0, "in cgroup with mems n0");
	ret = wr(V2DIR, "cpuset.mems", "%ld", self->n1);
	EXPECT_EQ(0, ret);
	EXPECT_TARGET_ON(self->n1, "after cpuset.mems n0 -> n1");
	/* ... and back. */
	EXPECT_EQ(0, wr(V2DIR, "cpuset.mems", "%ld", self->n0));
	EXPECT_TARGET_ON(self->n0, "after cpuset.mems n1 -> n0");
	/* Out to the root (all mems): nothing needs to move. */
	EXPECT_EQ(0, wr(CG2, "cgroup.procs", "%ld", self->t.pid));
	EXPECT_TARGET_ON(self->n0, "back in the root cgroup");
	/* Attach into a cgroup whose mems exclude the pages' node. */
	EXPECT_EQ(0, wr(V2DIR, "cpuset.mems", "%ld", self->n1));
	EXPECT_EQ(0, wr(V2DIR, "cgroup.procs", "%ld", self->t.pid));
	EXPECT_TARGET_ON(self->n1, "attached to a cgroup with mems n1");
	v2_remove(_metadata, self);
}

/* cpuset.mems as a list of nodes[0..nr). */
static int write_mems(const int *nodes, int nr)
{
	char list[4 * PM_MAX_NODES] = "";
	int k, len = 0;

	for (k = 0; k < nr; k++)
		len += snprintf(list + len, sizeof(list) - len, "%s%d",
				k ? "," : "", nodes[k]);
	return pm_write_str(V2DIR "/cpuset.mems", list);
}

/*
 * mems from the first half of the memory nodes to the second half and
 * back, with the task's pages on every node of the first half: each
 * page goes where pm_remapped() says.
 */
TEST_F_TIMEOUT(cs, v2_mems_remap_node_sets, 120)
{
	int nodes[PM_MAX_NODES], want[NPAGES], status[NPAGES];
	int nr, half, i;

	PM_RETURN_IF_SKIPPED();
	nr = pm_memory_nodes(nodes, PM_MAX_NODES);
	half = nr / 2;
	if (v2_make(_metadata, self))
		return;
	ASSERT_EQ(0, write_mems(nodes, half));
	ASSERT_EQ(0, pm_target_start(&self->t, NPAGES * self->psz, 63, -1,
				     0, 1));
	ASSERT_EQ(0, wr(V2DIR, "cgroup.procs", "%ld", self->t.pid));
	for (i = 0; i < NPAGES; i++)
		want[i] = nodes[i % half];
	pm_status_poison(status, NPAGES);
	ASSERT_EQ(0, pm_move_each_pid(self->t.pid, self->t.addr, NPAGES,
				      self->psz, want, status, MPOL_MF_MOVE));
	EXPECT_TARGET_PLACED(want, "placed over the first half");

	EXPECT_EQ(0, write_mems(nodes + half, nr - half));
	for (i = 0; i < NPAGES; i++)
		want[i] = pm_remapped(want[i], nodes, half, nodes + half,
				      nr - half);
	EXPECT_TARGET_PLACED(want, "mems first half -> second half");
	PM_ASSERT_PLACED(self->t.pid, self->t.addr, NPAGES, self->psz, want,
			 nodes, nr, "mems first half -> second half");

	EXPECT_EQ(0, write_mems(nodes, half));
	for (i = 0; i < NPAGES; i++)
		want[i] = pm_remapped(want[i], nodes + half, nr - half, nodes,
				      half);
	EXPECT_TARGET_PLACED(want, "mems second half -> first half");
	PM_ASSERT_PLACED(self->t.pid, self->t.addr, NPAGES, self->psz, want,
			 nodes, nr, "mems second half -> first half");
	v2_remove(_metadata, self);
}

TEST_F_TIMEOUT(cs, v1_memory_migrate_on_attach, 120)
{
	char ctl[256], cpus[64];
	int tries, ret = -1;

	PM_RETURN_IF_SKIPPED();
	if (pm_read_str(CG2 "/cgroup.subtree_control", ctl, sizeof(ctl)) >= 0 &&
	    strstr(ctl, "cpuset"))
		SKIP(return, "cpuset is in use in cgroup v2 (" CG2
		     "/cgroup.subtree_control): cannot mount it as v1");
	mkdir(V1MNT, 0755);
	/* A just-removed v2 cpuset css may linger for a moment: retry. */
	for (tries = 0; tries < 50; tries++) {
		ret = mount("none", V1MNT, "cgroup", 0, "cpuset");
		if (!ret || errno != EBUSY)
			break;
		usleep(100000);
	}
	if (ret) {
		int e = errno;

		rmdir(V1MNT);
		SKIP(return, "mount -t cgroup -o cpuset: %s", strerror(e));
	}
	self->v1_mounted = true;
	ASSERT_LT(0, pm_read_str(V1MNT "/cpuset.cpus", cpus, sizeof(cpus)));
	while (self->v1_dirs < ARRAY_SIZE(v1_dirs)) {
		ASSERT_EQ(0, mkdir(v1_dirs[self->v1_dirs], 0755));
		self->v1_dirs++;
	}
	ASSERT_EQ(0, pm_write_str(V1MNT "/a/cpuset.cpus", cpus));
	ASSERT_EQ(0, pm_write_str(V1MNT "/b/cpuset.cpus", cpus));
	ASSERT_EQ(0, pm_write_str(V1MNT "/c/cpuset.cpus", cpus));
	ASSERT_EQ(0, wr(V1MNT "/a", "cpuset.mems", "%ld", self->n0));
	ASSERT_EQ(0, wr(V1MNT "/b", "cpuset.mems", "%ld", self->n1));
	ASSERT_EQ(0, wr(V1MNT "/c", "cpuset.mems", "%ld", self->n0));
	EXPECT_EQ(0, pm_read_long(V1MNT "/b/cpuset.memory_migrate"));
	ASSERT_EQ(0, pm_write_str(V1MNT "/a/cpuset.memory_migrate", "1"));
	ASSERT_EQ(0, pm_write_str(V1MNT "/b/cpuset.memory_migrate", "1"));
	ASSERT_EQ(0, pm_write_str(V1MNT "/c/cpuset.memory_migrate", "0"));

	ASSERT_EQ(0, pm_target_start(&self->t, NPAGES * self->psz, 62,
				     self->n0, 0, 1));
	EXPECT_EQ(0, wr(V1MNT "/a", "tasks", "%ld", self->t.pid));
	EXPECT_TARGET_ON(self->n0, "v1: in a (mems n0)");
	EXPECT_EQ(0, wr(V1MNT "/b", "tasks", "%ld", self->t.pid));
	EXPECT_TARGET_ON(self->n1, "v1: moved to b (mems n1, memory_migrate 1)");
	/* memory_migrate=0: the pages stay where they are. */
	EXPECT_EQ(0, wr(V1MNT "/c", "tasks", "%ld", self->t.pid));
	usleep(300000);
	{
		int st[NPAGES];
		long i;

		ASSERT_EQ(0, pm_where_pid(self->t.pid, self->t.addr, NPAGES,
					  self->psz, st));
		i = pm_first_status_not(st, NPAGES, self->n1);
		EXPECT_EQ(-1, i) {
			TH_LOG("v1 memory_migrate=0: page %ld moved to %d", i, st[i]);
		}
	}
	/* memory_migrate 0 -> 1 does not move by itself; a mems change does. */
	EXPECT_EQ(0, pm_write_str(V1MNT "/c/cpuset.memory_migrate", "1"));
	EXPECT_EQ(0, wr(V1MNT "/c", "cpuset.mems", "%ld", self->n1));
	EXPECT_EQ(0, wr(V1MNT "/c", "cpuset.mems", "%ld", self->n0));
	EXPECT_TARGET_ON(self->n0, "v1: c mems n1 -> n0 with memory_migrate 1");

	v1_remove(_metadata, self);
}

TEST_HARNESS_MAIN
