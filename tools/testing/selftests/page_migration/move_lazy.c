// SPDX-License-Identifier: GPL-2.0
/*
 * Migrate on next touch: mbind(MPOL_MF_MOVE | MPOL_MF_LAZY) installs
 * the policy and moves nothing; each misplaced page moves when it is
 * next touched, to the policy's node (MPOL_BIND) or to the toucher's
 * node (MPOL_LOCAL), with kernel.numa_balancing 0 and 1.  Hugetlb moves
 * during the call.  Shared pages need MPOL_MF_MOVE_ALL; pinned pages stay
 * and their touch still succeeds.  Lazy moves are counted, traced with
 * reason numa_lazy, and shown in numa_maps.  Contents are checked after
 * every move.
 *
 * Stock 6.1 rejects MPOL_MF_LAZY with EINVAL (scripts/expected-failures).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/stat.h>
#include <linux/mempolicy.h>

#include "../kselftest_harness.h"
#include "users/users_util.h"

#define NR_PAGES	256
#define SEED		53
#define NB_KNOB		"/proc/sys/kernel/numa_balancing"
#define HPSZ		(2UL << 20)
#define MPOL_MF_BAD	(1 << 10)
#define NR_PINNED	16

static long lazy_mbind(void *addr, size_t len, int mode, int node,
		       unsigned int flags)
{
	unsigned long mask = node >= 0 ? 1UL << node : 0;

	return syscall(__NR_mbind, addr, len, mode, node >= 0 ? &mask : NULL,
		       node >= 0 ? 8 * sizeof(mask) : 0, flags);
}

/* Read one byte of every @step-th page from @first, on @cpus. */
struct toucher {
	const char *buf;
	size_t psz;
	unsigned long first, step, n;
	cpu_set_t cpus;
	int err;
};

static void *touch_pages(void *arg)
{
	struct toucher *t = arg;
	volatile char sink;
	unsigned long i;

	t->err = sched_setaffinity(0, sizeof(t->cpus), &t->cpus) ? errno : 0;
	if (t->err)
		return NULL;
	for (i = t->first; i < t->n; i += t->step)
		sink = t->buf[i * t->psz];
	(void)sink;
	return NULL;
}

/* Touch pages first, first + step, ... below n from a thread on cpus. */
static int touch_from(const char *buf, size_t psz, unsigned long first,
		      unsigned long step, unsigned long n,
		      const cpu_set_t *cpus)
{
	struct toucher t = { buf, psz, first, step, n, *cpus, 0 };
	pthread_t th;

	if (pthread_create(&th, NULL, touch_pages, &t) || pthread_join(th, NULL))
		return -1;
	return t.err ? -1 : 0;
}

FIXTURE(lazy)
{
	int node_a, node_b;
	cpu_set_t cpus_a, cpus_b;
	long nb_saved;
	size_t psz, len;
	char *buf;
	int status[NR_PAGES];
};

FIXTURE_VARIANT(lazy)
{
	int numa_balancing;
};

FIXTURE_VARIANT_ADD(lazy, nb0) { .numa_balancing = 0 };
FIXTURE_VARIANT_ADD(lazy, nb1) { .numa_balancing = 1 };

FIXTURE_SETUP(lazy)
{
	self->nb_saved = -1;
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	if (!pm_node_cpus(self->node_a, &self->cpus_a) ||
	    !pm_node_cpus(self->node_b, &self->cpus_b))
		SKIP(return, "node %d or %d has no CPUs", self->node_a,
		     self->node_b);
	self->nb_saved = pm_read_long(NB_KNOB);
	if (self->nb_saved < 0)
		SKIP(return, "no %s (CONFIG_NUMA_BALANCING)", NB_KNOB);
	ASSERT_EQ(0, pm_write_long(NB_KNOB, variant->numa_balancing));
	/* Run on node_a, where the pages start: balancing leaves them. */
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(self->cpus_a), &self->cpus_a));
	self->psz = getpagesize();
	self->len = NR_PAGES * self->psz;
	self->buf = pm_map_isolated(self->len);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, madvise(self->buf, self->len, MADV_NOHUGEPAGE));
	pm_fill(self->buf, self->len, SEED);
	PM_MOVE_OK(self->buf, NR_PAGES, self->psz, self->node_a, self->status,
		   0, "initial placement");
}

FIXTURE_TEARDOWN(lazy)
{
	if (self->nb_saved >= 0)
		pm_write_long(NB_KNOB, self->nb_saved);
	if (self->buf)
		munmap(self->buf - self->psz, self->len + 2 * self->psz);
}

/* The first page whose status is not want[i], or -1. */
static long lazy_first_misplaced(FIXTURE_DATA(lazy) *self, const int *want)
{
	unsigned long i;

	if (pm_where(self->buf, NR_PAGES, self->psz,
		     pm_status_poison(self->status, NR_PAGES)))
		return -2;
	for (i = 0; i < NR_PAGES; i++)
		if (self->status[i] != want[i])
			return i;
	return -1;
}

/* Every page i on want_expr (an expression of i). */
#define ASSERT_PLACED(self, want_expr, what) do {					int __want[NR_PAGES];								unsigned long i;								long __bad;									for (i = 0; i < NR_PAGES; i++)								__want[i] = (want_expr);						__bad = lazy_first_misplaced(self, __want);					ASSERT_EQ(-1, __bad)									TH_LOG("%s: page %ld on node %d, expected %d", what, __bad,			       __bad >= 0 ? (self)->status[__bad] : -1,				       __bad >= 0 ? __want[__bad] : -1);			} while (0)

TEST_F(lazy, nothing_moves_during_the_call)
{
	long before;

	PM_RETURN_IF_SKIPPED();
	before = pm_vmstat("pgmigrate_success");
	ASSERT_EQ(0, lazy_mbind(self->buf, self->len, MPOL_BIND, self->node_b,
				MPOL_MF_MOVE | MPOL_MF_LAZY))
		TH_LOG("mbind(MOVE | LAZY): %s", strerror(errno));
	ASSERT_EQ(before, pm_vmstat("pgmigrate_success"));
	ASSERT_PLACED(self, self->node_a, "after a lazy mbind");
	/* numa_maps still counts the hinted pages where they are. */
	ASSERT_EQ(NR_PAGES, pm_numa_maps_count(getpid(), self->buf,
					       self->node_a));
	ASSERT_EQ(0, pm_numa_maps_count(getpid(), self->buf, self->node_b));
}

TEST_F(lazy, touched_half_moves_to_the_policy_node)
{
	long before;

	PM_RETURN_IF_SKIPPED();
	ASSERT_EQ(0, lazy_mbind(self->buf, self->len, MPOL_BIND, self->node_b,
				MPOL_MF_MOVE | MPOL_MF_LAZY));
	before = pm_vmstat("numa_pages_migrated");
	/* A thread on node_b reads the first half. */
	ASSERT_EQ(0, touch_from(self->buf, self->psz, 0, 1, NR_PAGES / 2,
				&self->cpus_b));
	ASSERT_PLACED(self, i < NR_PAGES / 2 ? self->node_b : self->node_a,
		      "after touching the first half");
	ASSERT_LE(before + NR_PAGES / 2, pm_vmstat("numa_pages_migrated"));
	ASSERT_EQ(NR_PAGES / 2, pm_numa_maps_count(getpid(), self->buf,
						   self->node_b));
	ASSERT_EQ(NR_PAGES / 2, pm_numa_maps_count(getpid(), self->buf,
						   self->node_a));
	/* The toucher does not matter for MPOL_BIND: node_a reads the rest. */
	ASSERT_EQ(0, touch_from(self->buf, self->psz, NR_PAGES / 2, 1,
				NR_PAGES, &self->cpus_a));
	ASSERT_PLACED(self, self->node_b, "after touching the rest");
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "after the lazy moves");
}

/*
 * MPOL_LOCAL: pages start alternately on node_a and node_b.  A thread
 * on node_a touches pages 1, 5, 9, ... (on node_b); one on node_b
 * touches 0, 4, 8, ... (on node_a).  Each lands on its toucher's node;
 * the untouched half stays where it was.
 */
TEST_F(lazy, local_follows_the_first_toucher)
{
	PM_RETURN_IF_SKIPPED();
	PM_MOVE_OK(self->buf + self->psz, NR_PAGES / 2, 2 * self->psz,
		   self->node_b, self->status, 0, "odd pages to node_b");
	ASSERT_EQ(0, lazy_mbind(self->buf, self->len, MPOL_LOCAL, -1,
				MPOL_MF_MOVE | MPOL_MF_LAZY))
		TH_LOG("mbind(MPOL_LOCAL, MOVE | LAZY): %s", strerror(errno));
	ASSERT_PLACED(self, i % 2 ? self->node_b : self->node_a,
		      "after a lazy MPOL_LOCAL mbind");
	ASSERT_EQ(0, touch_from(self->buf, self->psz, 1, 4, NR_PAGES,
				&self->cpus_a));
	ASSERT_EQ(0, touch_from(self->buf, self->psz, 0, 4, NR_PAGES,
				&self->cpus_b));
	ASSERT_PLACED(self,
		      i % 4 == 0 ? self->node_b : i % 4 == 1 ? self->node_a :
		      i % 2 ? self->node_b : self->node_a,
		      "after the quarters were touched");
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "after next-touch moves");
}

TEST_F(lazy, bad_flags_change_nothing)
{
	static const struct { int mode, node; unsigned int flags; } bad[] = {
		{ MPOL_BIND, 1, MPOL_MF_LAZY },
		{ MPOL_BIND, 1, MPOL_MF_LAZY | MPOL_MF_STRICT },
		{ MPOL_BIND, 1, MPOL_MF_MOVE | MPOL_MF_LAZY | MPOL_MF_STRICT },
		{ MPOL_BIND, 1, MPOL_MF_MOVE | MPOL_MF_LAZY | MPOL_MF_BAD },
		{ MPOL_DEFAULT, -1, MPOL_MF_MOVE | MPOL_MF_LAZY },
		/* A node that is not in the cpuset (nor online). */
		{ MPOL_BIND, 63, MPOL_MF_MOVE | MPOL_MF_LAZY },
	};
	int mode, i;

	PM_RETURN_IF_SKIPPED();
	for (i = 0; i < (int)ARRAY_SIZE(bad); i++) {
		int node = bad[i].node == 1 ? self->node_b : bad[i].node;

		errno = 0;
		EXPECT_EQ(-1, lazy_mbind(self->buf, self->len, bad[i].mode,
					 node, bad[i].flags));
		EXPECT_EQ(EINVAL, errno)
			TH_LOG("case %d (mode %d, flags %#x): errno %d", i,
			       bad[i].mode, bad[i].flags, errno);
		ASSERT_EQ(0, syscall(__NR_get_mempolicy, &mode, NULL, 0,
				     self->buf, MPOL_F_ADDR));
		EXPECT_EQ(MPOL_DEFAULT, mode) TH_LOG("case %d left a policy", i);
	}
	/* Nothing was marked: touching from node_b moves nothing. */
	ASSERT_EQ(0, touch_from(self->buf, self->psz, 0, 1, NR_PAGES,
				&self->cpus_b));
	ASSERT_PLACED(self, self->node_a, "after the refused calls");
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "after the refused calls");
}

/*
 * Pages long-term pinned (io_uring fixed buffers) before the call are not
 * marked: they stay, and reading them from node_b still works.
 */
TEST_F(lazy, pinned_pages_stay_and_the_touch_succeeds)
{
	struct iovec iov = { .iov_base = self->buf,
			     .iov_len = NR_PINNED * self->psz };
	int ring;

	PM_RETURN_IF_SKIPPED();
	ring = pm_ring_open();
	if (ring < 0)
		SKIP(return, "io_uring_setup: %s (CONFIG_IO_URING)",
		     strerror(errno));
	ASSERT_EQ(0, pm_ring_pin(ring, &iov, 1))
		TH_LOG("IORING_REGISTER_BUFFERS: %s", strerror(errno));
	ASSERT_EQ(0, lazy_mbind(self->buf, self->len, MPOL_BIND, self->node_b,
				MPOL_MF_MOVE | MPOL_MF_LAZY))
		TH_LOG("mbind(MOVE | LAZY): %s", strerror(errno));
	ASSERT_EQ(0, touch_from(self->buf, self->psz, 0, 1, NR_PAGES,
				&self->cpus_b));
	ASSERT_PLACED(self, i < NR_PINNED ? self->node_a : self->node_b,
		      "after touching pinned and unpinned pages");
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "with the pins held");
	close(ring);
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "after the pins were dropped");
}

/* A private tracefs instance with mm_migrate_pages on, or NULL. */
static const char *lazy_trace_open(char *dir, size_t len)
{
	if (pm_trace_open(dir, len, "pm_move_lazy",
			  "migrate/mm_migrate_pages", NULL))
		return NULL;
	return dir;
}

/* Sum of nr_succeeded over the trace's mm_migrate_pages with reason. */
static long lazy_trace_moved(const char *dir, const char *reason)
{
	char path[256], line[1024], want[64], *p;
	long sum = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/trace", dir);
	snprintf(want, sizeof(want), "reason=%s\n", reason);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "nr_succeeded=");
		if (p && strstr(line, want))
			sum += strtol(p + strlen("nr_succeeded="), NULL, 10);
	}
	fclose(f);
	return sum;
}

/* Every lazy move is a pgmigrate_success, traced with reason numa_lazy. */
TEST_F(lazy, moves_are_counted_and_traced_as_lazy)
{
	char dir[128], knob[256];
	long before;

	PM_RETURN_IF_SKIPPED();
	if (!lazy_trace_open(dir, sizeof(dir)))
		SKIP(return, "no tracefs instance with migrate events");
	ASSERT_EQ(0, lazy_mbind(self->buf, self->len, MPOL_BIND, self->node_b,
				MPOL_MF_MOVE | MPOL_MF_LAZY))
		TH_LOG("mbind(MOVE | LAZY): %s", strerror(errno));
	before = pm_vmstat("pgmigrate_success");
	ASSERT_EQ(0, touch_from(self->buf, self->psz, 0, 1, NR_PAGES,
				&self->cpus_b));
	ASSERT_PLACED(self, self->node_b, "after the touch");
	EXPECT_LE(before + NR_PAGES, pm_vmstat("pgmigrate_success"));
	EXPECT_EQ(NR_PAGES, lazy_trace_moved(dir, "numa_lazy"));
	snprintf(knob, sizeof(knob),
		 "%s/events/migrate/mm_migrate_pages/enable", dir);
	pm_write_str(knob, "0");
	EXPECT_EQ(0, rmdir(dir)) TH_LOG("rmdir %s: %s", dir, strerror(errno));
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "after the lazy moves");
}

/*
 * A range shared with a child over fork(): MOVE | LAZY leaves it,
 * MOVE_ALL | LAZY (root) moves it on touch, and MOVE_ALL without
 * CAP_SYS_NICE gets EPERM.
 */
TEST_F(lazy, shared_pages_need_move_all)
{
	int go[2], wstatus;
	pid_t pid, unpriv;
	char c = 0;

	PM_RETURN_IF_SKIPPED();
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Hold the pages; check them once the parent is done. */
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(pm_first_bad(self->buf, self->len, SEED) == -1 ? 0 : 1);
	}

	ASSERT_EQ(0, lazy_mbind(self->buf, self->len, MPOL_BIND, self->node_b,
				MPOL_MF_MOVE | MPOL_MF_LAZY));
	ASSERT_EQ(0, touch_from(self->buf, self->psz, 0, 1, NR_PAGES,
				&self->cpus_b));
	ASSERT_PLACED(self, self->node_a, "shared pages after MOVE | LAZY");

	unpriv = fork();
	ASSERT_LE(0, unpriv);
	if (unpriv == 0) {
		if (pm_become(PM_NOBODY))
			_exit(2);
		_exit(lazy_mbind(self->buf, self->len, MPOL_BIND, self->node_b,
				 MPOL_MF_MOVE_ALL | MPOL_MF_LAZY) == -1 &&
		      errno == EPERM ? 0 : 1);
	}
	ASSERT_EQ(unpriv, waitpid(unpriv, &wstatus, 0));
	ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
		TH_LOG("unprivileged MOVE_ALL | LAZY did not get EPERM");

	ASSERT_EQ(0, lazy_mbind(self->buf, self->len, MPOL_BIND, self->node_b,
				MPOL_MF_MOVE_ALL | MPOL_MF_LAZY));
	ASSERT_PLACED(self, self->node_a, "shared pages after MOVE_ALL | LAZY");
	ASSERT_EQ(0, touch_from(self->buf, self->psz, 0, 1, NR_PAGES,
				&self->cpus_a));
	ASSERT_PLACED(self, self->node_b, "shared pages after the touch");
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "parent, after the shared pages moved");
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &wstatus, 0));
	ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
		TH_LOG("the child saw other contents (status %#x)", wstatus);
	close(go[0]);
	close(go[1]);
}

/*
 * Page kinds: shmem, a THP and mlocked anon move on touch; hugetlb and
 * an inaccessible (PROT_NONE) range, which take no hinting faults,
 * during the call.
 */
enum lazy_kind {
	LAZY_SHMEM, LAZY_THP, LAZY_MLOCKED, LAZY_HUGETLB, LAZY_PROT_NONE
};

FIXTURE(kinds)
{
	int node_a, node_b;
	cpu_set_t cpus_b;
	size_t psz, len, unit;
	char *raw, *buf;
	size_t raw_len;
	int fd;
	char hp_path[2][128];
	long hp_saved[2];
	int status[NR_PAGES];
};

FIXTURE_VARIANT(kinds)
{
	enum lazy_kind kind;
};

FIXTURE_VARIANT_ADD(kinds, shmem) { .kind = LAZY_SHMEM };
FIXTURE_VARIANT_ADD(kinds, thp) { .kind = LAZY_THP };
FIXTURE_VARIANT_ADD(kinds, mlocked) { .kind = LAZY_MLOCKED };
FIXTURE_VARIANT_ADD(kinds, hugetlb) { .kind = LAZY_HUGETLB };
FIXTURE_VARIANT_ADD(kinds, prot_none) { .kind = LAZY_PROT_NONE };

static int kinds_hugetlb_pool(FIXTURE_DATA(kinds) *self)
{
	int i, nodes[2] = { self->node_a, self->node_b };

	for (i = 0; i < 2; i++) {
		pm_node_huge_path(self->hp_path[i], sizeof(self->hp_path[i]),
				  nodes[i], "nr_hugepages");
		self->hp_saved[i] = pm_read_long(self->hp_path[i]);
		if (self->hp_saved[i] < 0)
			return -1;
		pm_write_long(self->hp_path[i], self->hp_saved[i] + 2);
	}
	return 0;
}

FIXTURE_SETUP(kinds)
{
	int prot = PROT_READ | PROT_WRITE;
	char knob[128];
	uint64_t f;

	self->fd = -1;
	self->hp_saved[0] = self->hp_saved[1] = -1;
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	if (!pm_node_cpus(self->node_b, &self->cpus_b))
		SKIP(return, "node %d has no CPUs", self->node_b);
	self->psz = getpagesize();
	self->unit = self->psz;
	self->len = NR_PAGES * self->psz;
	self->raw_len = self->len;
	switch (variant->kind) {
	case LAZY_SHMEM:
		self->fd = memfd_create("move_lazy", 0);
		ASSERT_LE(0, self->fd);
		ASSERT_EQ(0, ftruncate(self->fd, self->len));
		self->raw = mmap(NULL, self->len, prot, MAP_SHARED, self->fd, 0);
		break;
	case LAZY_THP:
		if (pm_read_str("/sys/kernel/mm/transparent_hugepage/enabled",
				knob, sizeof(knob)) < 0 || strstr(knob, "[never]"))
			SKIP(return, "no THP here");
		self->unit = HPSZ;
		self->len = HPSZ;
		self->raw_len = 2 * HPSZ;
		self->raw = mmap(NULL, self->raw_len, prot,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case LAZY_MLOCKED:
	case LAZY_PROT_NONE:
		self->raw = mmap(NULL, self->len, prot,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, self->raw);
		ASSERT_EQ(0, madvise(self->raw, self->len, MADV_NOHUGEPAGE));
		if (variant->kind == LAZY_MLOCKED)
			ASSERT_EQ(0, mlock(self->raw, self->len))
				TH_LOG("mlock: %s", strerror(errno));
		break;
	case LAZY_HUGETLB:
		if (kinds_hugetlb_pool(self))
			SKIP(return, "no 2 MiB hugetlb pool");
		self->unit = HPSZ;
		self->len = HPSZ;
		self->raw = mmap(NULL, self->len, prot, MAP_PRIVATE |
				 MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (self->raw == MAP_FAILED)
			SKIP(return, "no free hugetlb page: %s", strerror(errno));
		break;
	}
	ASSERT_NE(MAP_FAILED, self->raw);
	self->buf = self->raw;
	if (variant->kind == LAZY_THP) {
		self->buf = (char *)(((uintptr_t)self->raw + HPSZ - 1) &
				     ~(HPSZ - 1));
		ASSERT_EQ(0, madvise(self->buf, HPSZ, MADV_HUGEPAGE));
	}
	pm_fill(self->buf, self->len, SEED);
	if (variant->kind == LAZY_THP &&
	    (pm_kpageflags(self->buf, &f) || !(f & PM_KPF(KPF_THP))))
		SKIP(return, "the buffer did not get a THP");
	PM_MOVE_OK(self->buf, self->len / self->unit, self->unit,
		   self->node_a, self->status, 0, "initial placement");
	if (variant->kind == LAZY_PROT_NONE)
		ASSERT_EQ(0, mprotect(self->buf, self->len, PROT_NONE));
}

FIXTURE_TEARDOWN(kinds)
{
	int i;

	if (self->raw && self->raw != MAP_FAILED)
		munmap(self->raw, self->raw_len);
	if (self->fd >= 0)
		close(self->fd);
	for (i = 0; i < 2; i++)
		if (self->hp_saved[i] >= 0)
			pm_write_long(self->hp_path[i], self->hp_saved[i]);
}

TEST_F(kinds, move_on_touch)
{
	unsigned long n = self->len / self->psz;
	int lazy = variant->kind != LAZY_HUGETLB &&
		   variant->kind != LAZY_PROT_NONE;
	uint64_t f;

	PM_RETURN_IF_SKIPPED();
	ASSERT_EQ(0, lazy_mbind(self->buf, self->len, MPOL_BIND, self->node_b,
				MPOL_MF_MOVE | MPOL_MF_LAZY))
		TH_LOG("mbind(MOVE | LAZY): %s", strerror(errno));
	/* Hugetlb and PROT_NONE take no hinting faults: moved already. */
	PM_ASSERT_WHERE(self->buf, self->len / self->unit, self->unit,
			lazy ? self->node_a : self->node_b, self->status,
			"after the lazy mbind");
	if (variant->kind == LAZY_PROT_NONE)
		ASSERT_EQ(0, mprotect(self->buf, self->len,
				      PROT_READ | PROT_WRITE));
	/* One touch per unit: a THP moves whole on its first. */
	ASSERT_EQ(0, touch_from(self->buf, self->unit, 0, 1,
				self->len / self->unit, &self->cpus_b));
	ASSERT_LE(0, pm_where(self->buf, n > NR_PAGES ? NR_PAGES : n,
			      self->psz, self->status));
	PM_ASSERT_STATUS(self->status, n > NR_PAGES ? NR_PAGES : n,
			 self->node_b, "every base page after the touch");
	if (variant->kind == LAZY_THP) {
		ASSERT_EQ(0, pm_kpageflags(self->buf, &f));
		ASSERT_TRUE(f & PM_KPF(KPF_THP)) TH_LOG("the THP was split");
	}
	if (variant->kind == LAZY_MLOCKED) {
		ASSERT_EQ(0, pm_kpageflags(self->buf, &f));
		ASSERT_TRUE(f & PM_KPF(KPF_UNEVICTABLE))
			TH_LOG("the moved page is no longer mlocked");
	}
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "after the move");
}

TEST_HARNESS_MAIN
