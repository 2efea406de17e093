// SPDX-License-Identifier: GPL-2.0
/*
 * Pages of a task in a memory cgroup move between two nodes and keep
 * their charge: the cgroup's usage (memory.current) neither grows nor
 * shrinks by what moved, its per-node statistics (memory.numa_stat)
 * follow the pages, and freeing the pages afterwards gives back all of
 * the charge, once.  Anonymous base pages, anonymous THPs and shmem;
 * every byte is checked after each move.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../kselftest_harness.h"
#include "pm_test.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define LEN		(16UL << 20)
#define THP_SIZE	(2UL << 20)
/* Per-CPU charge stock and unflushed statistics: a little under 1 MiB. */
#define SLACK		(2L << 20)
#define ROUNDS		3

FIXTURE(memcg)
{
	int node_a, node_b;
	size_t psz;
	char cg[96];
	int joined;
	int enabled_memory;
	char *map, *area;
	size_t area_len;
	size_t stride;		/* one move_pages() address per folio */
	int memfd;
	int status[LEN / 4096];
};

static long cg_long(FIXTURE_DATA(memcg) *self, const char *file)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", self->cg, file);
	return pm_read_long(path);
}

static long cg_stat(FIXTURE_DATA(memcg) *self, const char *key)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/memory.stat", self->cg);
	return pm_file_field(path, key);
}

/* Bytes of @key on @node in the cgroup's memory.numa_stat, or -1. */
static long cg_numa_stat(FIXTURE_DATA(memcg) *self, const char *key, int node)
{
	char path[160], line[1024], want[16];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.numa_stat", self->cg);
	snprintf(want, sizeof(want), " N%d=", node);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p;

		if (strncmp(line, key, kl) || line[kl] != ' ')
			continue;
		p = strstr(line, want);
		if (p)
			v = strtol(p + strlen(want), NULL, 10);
		break;
	}
	fclose(f);
	return v;
}

FIXTURE_SETUP(memcg)
{
	char buf[256];

	self->memfd = -1;
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	self->psz = getpagesize();
	ASSERT_EQ(4096, self->psz);
	if (pm_read_str(CG_ROOT "/cgroup.controllers", buf, sizeof(buf)) <= 0 ||
	    !strstr(buf, "memory"))
		SKIP(return, "no cgroup v2 memory controller at " CG_ROOT);
	ASSERT_LE(0, pm_read_str(CG_ROOT "/cgroup.subtree_control", buf,
				 sizeof(buf)));
	if (!strstr(buf, "memory")) {
		ASSERT_EQ(0, pm_write_str(CG_ROOT "/cgroup.subtree_control",
					  "+memory"));
		self->enabled_memory = 1;
	}
	snprintf(self->cg, sizeof(self->cg), CG_ROOT "/pm_move_memcg.%d",
		 getpid());
	ASSERT_EQ(0, mkdir(self->cg, 0755))
		TH_LOG("mkdir %s: %s", self->cg, strerror(errno));
	snprintf(buf, sizeof(buf), "%s/cgroup.procs", self->cg);
	ASSERT_EQ(0, pm_write_long(buf, getpid()));
	self->joined = 1;
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->area)
		munmap(self->area, self->area_len);
	if (self->memfd >= 0)
		close(self->memfd);
	if (self->joined)
		pm_write_long(CG_ROOT "/cgroup.procs", getpid());
	if (self->cg[0])
		rmdir(self->cg);
	/* Fails while dying cgroups still use it; then it stays on. */
	if (self->enabled_memory)
		pm_write_str(CG_ROOT "/cgroup.subtree_control", "-memory");
}

/* Map LEN bytes: anonymous (THP-aligned, THP advised if @thp) or shmem. */
static void map_area(struct __test_metadata *_metadata,
		     FIXTURE_DATA(memcg) *self, int shmem, int thp)
{
	self->area_len = LEN + THP_SIZE;
	if (shmem) {
		self->memfd = memfd_create("pm_move_memcg", 0);
		ASSERT_LE(0, self->memfd);
		ASSERT_EQ(0, ftruncate(self->memfd, LEN));
		self->area_len = LEN;
		self->area = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
				  MAP_SHARED, self->memfd, 0);
	} else {
		self->area = mmap(NULL, self->area_len, PROT_READ | PROT_WRITE,
				  MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	}
	ASSERT_NE(MAP_FAILED, self->area);
	self->map = shmem ? self->area :
		(char *)(((unsigned long)self->area + THP_SIZE - 1) &
			 ~(THP_SIZE - 1));
	self->stride = thp ? THP_SIZE : self->psz;
	if (!shmem)
		ASSERT_EQ(0, madvise(self->map, LEN,
				     thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE));
}

/*
 * Move the whole area to @node and check that everything arrived, that
 * the cgroup's usage did not change, and that its statistic @key (the
 * bytes of this kind of page) went from the other node to @node.
 */
static void move_checked(struct __test_metadata *_metadata,
			 FIXTURE_DATA(memcg) *self, int node, int from,
			 const char *key, unsigned long seed)
{
	long cur0 = cg_long(self, "memory.current");
	long on0 = cg_numa_stat(self, key, node);
	long off0 = cg_numa_stat(self, key, from);
	long cur1, on1, off1;

	ASSERT_LE(0, on0);
	ASSERT_LE(0, off0);
	PM_MOVE_OK(self->map, LEN / self->stride, self->stride, node,
		   self->status, 0, "move_pages");
	PM_ASSERT_WHERE(self->map, LEN / self->psz, self->psz, node,
			self->status, "every 4 KiB page");
	PM_ASSERT_CONTENT(self->map, LEN, seed, self->psz, "after the move");

	cur1 = cg_long(self, "memory.current");
	on1 = cg_numa_stat(self, key, node);
	off1 = cg_numa_stat(self, key, from);
	EXPECT_GE(SLACK, labs(cur1 - cur0))
		TH_LOG("memory.current %ld -> %ld moving %lu bytes to node %d",
		       cur0, cur1, LEN, node);
	EXPECT_LE((long)LEN - SLACK, on1 - on0)
		TH_LOG("%s on node %d: %ld -> %ld", key, node, on0, on1);
	EXPECT_LE((long)LEN - SLACK, off0 - off1)
		TH_LOG("%s on node %d: %ld -> %ld", key, from, off0, off1);
}

/* Fill, move there and back ROUNDS times, free, and check the charge. */
static void run(struct __test_metadata *_metadata, FIXTURE_DATA(memcg) *self,
		int shmem, int thp, const char *key)
{
	long base, charged, freed;
	int r;

	base = cg_long(self, "memory.current");
	ASSERT_LE(0, base);
	map_area(_metadata, self, shmem, thp);
	pm_fill(self->map, LEN, 7);
	/* Start from node a, whatever the first touch chose. */
	PM_MOVE_OK(self->map, LEN / self->stride, self->stride, self->node_a,
		   self->status, 0, "the first move");
	charged = cg_long(self, "memory.current");
	ASSERT_LE((long)LEN - SLACK, charged - base)
		TH_LOG("memory.current %ld -> %ld after touching %lu bytes",
		       base, charged, LEN);
	if (thp && cg_stat(self, "anon_thp") < (long)LEN - SLACK)
		SKIP(return, "no THPs (anon_thp %ld)", cg_stat(self, "anon_thp"));

	for (r = 0; r < ROUNDS; r++) {
		move_checked(_metadata, self, self->node_b, self->node_a, key, 7);
		move_checked(_metadata, self, self->node_a, self->node_b, key, 7);
	}
	if (thp) {
		EXPECT_LE((long)LEN - SLACK, cg_stat(self, "anon_thp"))
			TH_LOG("THPs split on the way: anon_thp %ld",
			       cg_stat(self, "anon_thp"));
	}

	charged = cg_long(self, "memory.current");
	ASSERT_EQ(0, munmap(self->area, self->area_len));
	self->area = NULL;
	if (shmem) {
		close(self->memfd);
		self->memfd = -1;
	}
	/* The charge went with the pages: all of it comes back, once. */
	freed = charged - cg_long(self, "memory.current");
	EXPECT_LE((long)LEN - SLACK, freed)
		TH_LOG("freeing %lu bytes gave back only %ld", LEN, freed);
	EXPECT_GE((long)LEN + SLACK, freed)
		TH_LOG("freeing %lu bytes gave back %ld", LEN, freed);
}

TEST_F_TIMEOUT(memcg, anon_keeps_charge, 120)
{
	PM_RETURN_IF_SKIPPED();
	run(_metadata, self, 0, 0, "anon");
}

TEST_F_TIMEOUT(memcg, thp_keeps_charge, 120)
{
	PM_RETURN_IF_SKIPPED();
	run(_metadata, self, 0, 1, "anon_thp");
}

TEST_F_TIMEOUT(memcg, shmem_keeps_charge, 120)
{
	PM_RETURN_IF_SKIPPED();
	run(_metadata, self, 1, 0, "shmem");
}

TEST_HARNESS_MAIN
