// SPDX-License-Identifier: GPL-2.0
/*
 * Who may move whose pages with move_pages(2), per 6.1 mm/migrate.c:
 * kernel_move_pages() refuses MPOL_MF_MOVE_ALL without CAP_SYS_NICE
 * (-EPERM, before the pid is looked up), and find_mm_struct() applies
 * ptrace_may_access(PTRACE_MODE_READ_REALCREDS) to another pid (-EPERM),
 * in query mode too (CVE-2017-14140). The caller's real uid must match
 * the target's uids and the target must be dumpable, or the caller
 * needs CAP_SYS_PTRACE.
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "../../kselftest_harness.h"
#include "users_util.h"

#define NPAGES	4

FIXTURE(perm)
{
	size_t psz;
	int n0, n1;
	struct pm_target t;
	struct pm_shared_res *r;
};

FIXTURE_SETUP(perm)
{
	self->psz = getpagesize();
	self->t.pid = 0;
	self->r = NULL;
	pm_pick_nodes(&self->n0, &self->n1);
	if (self->n0 < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	if (geteuid() != 0)
		SKIP(return, "needs root to switch uids");
	self->r = pm_shared_res();
	ASSERT_NE(NULL, self->r);
}

FIXTURE_TEARDOWN(perm)
{
	pm_target_stop(&self->t);
	if (self->r)
		munmap(self->r, sizeof(*self->r));
}

struct mover {
	pid_t pid;
	char *addr;
	size_t psz;
	int node;	/* -1: query mode */
	int flags;
	int drop_nice;	/* drop CAP_SYS_NICE from the effective set first */
};

static int drop_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[cap / 32].effective &= ~(1U << (cap % 32));
	return syscall(SYS_capset, &h, d);
}

static void do_move(void *arg, struct pm_shared_res *r)
{
	struct mover *m = arg;
	void *pages[NPAGES];
	int nodes[NPAGES], i;

	if (m->drop_nice && drop_cap(CAP_SYS_NICE)) {
		r->err = -1;
		return;
	}
	for (i = 0; i < NPAGES; i++) {
		pages[i] = m->addr + i * m->psz;
		nodes[i] = m->node;
		r->status[i] = 12345;
	}
	errno = 0;
	r->ret = move_pages(m->pid, NPAGES, pages, m->node < 0 ? NULL : nodes,
			    r->status, m->flags);
	r->err = errno;
}

/* Run a mover as uid; check its return and errno. */
static void run_mover(struct __test_metadata *_metadata, struct pm_shared_res *r,
		      uid_t uid, struct mover *m, long want_ret, int want_err)
{
	r->ret = -12345;
	r->err = 0;
	ASSERT_EQ(0, pm_run_as(uid, do_move, m, r));
	EXPECT_EQ(want_ret, r->ret) {
		TH_LOG("uid %d: move_pages(pid %d, node %d, flags %#x) = %ld, expected %ld",
		       uid, m->pid, m->node, m->flags, r->ret, want_ret);
	}
	if (want_ret < 0) {
		EXPECT_EQ(want_err, r->err) {
			TH_LOG("uid %d: pid %d flags %#x: errno %d (%s), expected %d (%s)",
			       uid, m->pid, m->flags, r->err, strerror(r->err),
			       want_err, strerror(want_err));
		}
	}
}

/* The target's pages are all on node and intact. */
static void expect_target(struct __test_metadata *_metadata,
			  struct pm_target *t, size_t psz, int node)
{
	int status[NPAGES];
	long i;

	memset(status, 0x7f, sizeof(status));
	ASSERT_EQ(0, pm_where_pid(t->pid, t->addr, NPAGES, psz, status));
	i = pm_first_status_not(status, NPAGES, node);
	EXPECT_EQ(-1, i) {
		TH_LOG("target %d page %ld on %d, expected node %d", t->pid, i,
		       status[i], node);
	}
	i = pm_target_verify(t);
	EXPECT_EQ(-1, i) {
		TH_LOG("target %d contents differ at byte %ld", t->pid, i);
	}
}

static void denied(struct __test_metadata *_metadata, FIXTURE_DATA(perm) *self,
		   uid_t target_uid, int dumpable, uid_t mover_uid)
{
	struct mover m = { 0, NULL, self->psz, self->n1, MPOL_MF_MOVE, 0 };

	ASSERT_EQ(0, pm_target_start(&self->t, NPAGES * self->psz, 21,
				     self->n0, target_uid, dumpable));
	m.pid = self->t.pid;
	m.addr = self->t.addr;
	run_mover(_metadata, self->r, mover_uid, &m, -1, EPERM);
	/* Query mode is checked the same way (no information leak). */
	m.node = -1;
	m.flags = 0;
	run_mover(_metadata, self->r, mover_uid, &m, -1, EPERM);
	EXPECT_EQ(12345, self->r->status[0]);
	expect_target(_metadata, &self->t, self->psz, self->n0);
}

TEST_F(perm, unprivileged_cannot_move_root_process)
{
	PM_RETURN_IF_SKIPPED();
	denied(_metadata, self, 0, 1, PM_NOBODY);
}

TEST_F(perm, unprivileged_cannot_move_other_uid)
{
	PM_RETURN_IF_SKIPPED();
	denied(_metadata, self, PM_OTHER_UID, 1, PM_NOBODY);
}

/* Same uid but not dumpable, as a setuid program is: still -EPERM. */
TEST_F(perm, unprivileged_cannot_move_nondumpable_same_uid)
{
	PM_RETURN_IF_SKIPPED();
	denied(_metadata, self, PM_NOBODY, 0, PM_NOBODY);
}

TEST_F(perm, same_uid_may_move_and_query)
{
	struct mover m = { 0, NULL, self->psz, self->n1, MPOL_MF_MOVE, 0 };
	int i;

	PM_RETURN_IF_SKIPPED();
	ASSERT_EQ(0, pm_target_start(&self->t, NPAGES * self->psz, 22,
				     self->n0, PM_NOBODY, 1));
	m.pid = self->t.pid;
	m.addr = self->t.addr;
	run_mover(_metadata, self->r, PM_NOBODY, &m, 0, 0);
	for (i = 0; i < NPAGES; i++) {
		EXPECT_EQ(self->n1, self->r->status[i]) {
			TH_LOG("page %d status %d, expected %d", i,
			       self->r->status[i], self->n1);
		}
	}
	m.node = -1;
	m.flags = 0;
	run_mover(_metadata, self->r, PM_NOBODY, &m, 0, 0);
	for (i = 0; i < NPAGES; i++) {
		EXPECT_EQ(self->n1, self->r->status[i]) {
			TH_LOG("query: page %d status %d, expected %d", i,
			       self->r->status[i], self->n1);
		}
	}
	expect_target(_metadata, &self->t, self->psz, self->n1);
}

TEST_F(perm, root_may_move_other_users_pages)
{
	struct mover m = { 0, NULL, self->psz, self->n1, MPOL_MF_MOVE, 0 };

	PM_RETURN_IF_SKIPPED();
	ASSERT_EQ(0, pm_target_start(&self->t, NPAGES * self->psz, 23,
				     self->n0, PM_NOBODY, 0));
	m.pid = self->t.pid;
	m.addr = self->t.addr;
	run_mover(_metadata, self->r, 0, &m, 0, 0);
	expect_target(_metadata, &self->t, self->psz, self->n1);
}

TEST_F(perm, move_all_needs_cap_sys_nice)
{
	struct mover m = { 0, NULL, self->psz, self->n1, MPOL_MF_MOVE_ALL, 0 };

	PM_RETURN_IF_SKIPPED();
	ASSERT_EQ(0, pm_target_start(&self->t, NPAGES * self->psz, 24,
				     self->n0, PM_NOBODY, 1));
	m.pid = self->t.pid;
	m.addr = self->t.addr;
	/* Same uid, dumpable: only the missing capability refuses it. */
	run_mover(_metadata, self->r, PM_NOBODY, &m, -1, EPERM);
	/* Checked before the pid: a nonexistent pid still gets -EPERM. */
	m.pid = -1;
	run_mover(_metadata, self->r, PM_NOBODY, &m, -1, EPERM);
	/* Root with CAP_SYS_NICE dropped from its effective set. */
	m.pid = self->t.pid;
	m.drop_nice = 1;
	run_mover(_metadata, self->r, 0, &m, -1, EPERM);
	expect_target(_metadata, &self->t, self->psz, self->n0);
	/* ... while MPOL_MF_MOVE still works for it. */
	m.flags = MPOL_MF_MOVE;
	run_mover(_metadata, self->r, 0, &m, 0, 0);
	expect_target(_metadata, &self->t, self->psz, self->n1);
	/* And root with the capability may use MPOL_MF_MOVE_ALL. */
	m.flags = MPOL_MF_MOVE_ALL;
	m.drop_nice = 0;
	m.node = self->n0;
	run_mover(_metadata, self->r, 0, &m, 0, 0);
	expect_target(_metadata, &self->t, self->psz, self->n0);
}

struct own {
	size_t psz;
	int n0, n1;
};

/* As nobody: map, fill, move own pages (pid 0) with each flag. */
static void do_own(void *arg, struct pm_shared_res *r)
{
	struct own *o = arg;
	size_t len = NPAGES * o->psz;
	char *buf = pm_map(len, MAP_PRIVATE | MAP_ANONYMOUS);
	int st[NPAGES];

	if (!buf)
		return;
	pm_fill(buf, len, 26);
	r->status[0] = pm_move(buf, NPAGES, o->psz, o->n0, st, MPOL_MF_MOVE);
	r->status[1] = st[0];
	r->status[2] = pm_move(buf, NPAGES, o->psz, o->n1, st, MPOL_MF_MOVE);
	r->status[3] = pm_first_status_not(st, NPAGES, o->n1);
	r->status[4] = pm_move(buf, NPAGES, o->psz, o->n0, st, MPOL_MF_MOVE_ALL);
	r->status[5] = pm_where(buf, NPAGES, o->psz, st);
	r->status[6] = pm_first_status_not(st, NPAGES, o->n1);
	r->ret = pm_first_bad(buf, len, 26);
}

TEST_F(perm, unprivileged_may_move_own_pages)
{
	struct own o = { self->psz, self->n0, self->n1 };
	struct pm_shared_res *r = self->r;

	PM_RETURN_IF_SKIPPED();
	ASSERT_EQ(0, pm_run_as(PM_NOBODY, do_own, &o, r));
	EXPECT_EQ(0, r->status[0]);
	EXPECT_EQ(self->n0, r->status[1]);
	EXPECT_EQ(0, r->status[2]) {
		TH_LOG("nobody moving own pages to %d: %d", self->n1, r->status[2]);
	}
	EXPECT_EQ(-1, r->status[3]) {
		TH_LOG("own page %d not reported on node %d", r->status[3], self->n1);
	}
	EXPECT_EQ(-EPERM, r->status[4]) {
		TH_LOG("own MPOL_MF_MOVE_ALL without CAP_SYS_NICE: %d, expected %d",
		       r->status[4], -EPERM);
	}
	EXPECT_EQ(0, r->status[5]);
	EXPECT_EQ(-1, r->status[6]) {
		TH_LOG("own page %d not on node %d after the refused MOVE_ALL",
		       r->status[6], self->n1);
	}
	EXPECT_EQ(-1, r->ret) {
		TH_LOG("own contents differ at byte %ld", r->ret);
	}
}

TEST_HARNESS_MAIN
