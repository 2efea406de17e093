// SPDX-License-Identifier: GPL-2.0
/*
 * Memory hot-remove migrates everything off the blocks it offlines.
 * The guest boots with a DIMM on node 1 whose memory blocks start
 * offline (or are online movable, left so by an earlier test); we
 * online them movable, fill them with anon pages, page
 * cache (ext4 on a RAM disk) and shmem, offline them again, and check
 * that the blocks went offline, no page of ours is left on them, and
 * every byte is intact.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../../kselftest_harness.h"
#include "../pm_test.h"

#define ANON_MB		160
#define FILE_MB		32
#define SHMEM_MB	64
#define MNT		"/tmp/pm-hotremove"

FIXTURE(hotremove)
{
	long blocks[PM_MEM_MAX_BLOCKS];
	int nr_blocks;
	long block_pages;
	size_t psz;
	char *anon, *file, *shm;
	int fd;
	int mounted;
};

static int run(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

FIXTURE_SETUP(hotremove)
{
	long failed = -1;

	self->psz = getpagesize();
	self->fd = -1;
	self->block_pages = pm_mem_block_pages();
	if (self->block_pages <= 0)
		SKIP(return, "no memory hotplug sysfs");
	self->nr_blocks = pm_dimm_blocks_online(self->blocks, PM_MEM_MAX_BLOCKS,
						&failed);
	ASSERT_LE(0, self->nr_blocks)
		TH_LOG("memory%ld: online_movable failed", failed);
	if (!self->nr_blocks)
		SKIP(return, "no DIMM block: boot the guest with a DIMM (DIMM=512)");
	ASSERT_EQ(0, run("mkfs.ext4 -q -F /dev/ram0 >/dev/null 2>&1"));
	mkdir(MNT, 0755);
	ASSERT_EQ(0, mount("/dev/ram0", MNT, "ext4", 0, NULL));
	self->mounted = 1;
}

FIXTURE_TEARDOWN(hotremove)
{
	int i;

	if (self->anon)
		munmap(self->anon, ANON_MB << 20);
	if (self->file)
		munmap(self->file, FILE_MB << 20);
	if (self->shm)
		munmap(self->shm, SHMEM_MB << 20);
	if (self->fd >= 0)
		close(self->fd);
	if (self->mounted)
		umount(MNT);
	/* Leave the DIMM online for whoever comes next. */
	for (i = 0; i < self->nr_blocks; i++)
		pm_mem_block_set(self->blocks[i], "online_movable");
}

/* How many pages of [buf, buf+len) sit in the test's memory blocks. */
static long pages_on_blocks(FIXTURE_DATA(hotremove) *self, char *buf,
			    size_t len)
{
	return pm_pages_on_blocks(self->blocks, self->nr_blocks,
				  self->block_pages, buf, len);
}

static char *map_filled(int fd, size_t len, int flags, unsigned long seed)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);

	if (p == MAP_FAILED)
		return NULL;
	pm_fill(p, len, seed);
	return p;
}

TEST_F_TIMEOUT(hotremove, offline_moves_anon_pagecache_and_shmem, 480)
{
	struct bitmask *node1 = numa_allocate_nodemask();
	long before, after, bad;
	int i, ret;

	PM_RETURN_IF_SKIPPED();
	if (numa_max_node() < 1)
		SKIP(return, "needs node 1");
	/* Allocate on node 1, where the DIMM is: its movable zone comes first. */
	numa_bitmask_setbit(node1, numa_max_node());
	numa_set_membind(node1);
	self->anon = map_filled(-1, ANON_MB << 20,
				MAP_PRIVATE | MAP_ANONYMOUS, 11);
	ASSERT_NE(NULL, self->anon);
	self->fd = open(MNT "/data", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ftruncate(self->fd, FILE_MB << 20));
	self->file = map_filled(self->fd, FILE_MB << 20, MAP_SHARED, 12);
	ASSERT_NE(NULL, self->file);
	ASSERT_EQ(0, msync(self->file, FILE_MB << 20, MS_SYNC));
	self->shm = map_filled(-1, SHMEM_MB << 20,
			       MAP_SHARED | MAP_ANONYMOUS, 13);
	ASSERT_NE(NULL, self->shm);
	numa_set_membind(numa_all_nodes_ptr);

	before = pages_on_blocks(self, self->anon, ANON_MB << 20) +
		 pages_on_blocks(self, self->file, FILE_MB << 20) +
		 pages_on_blocks(self, self->shm, SHMEM_MB << 20);
	ASSERT_LT(0, before) TH_LOG("none of our pages landed on the DIMM's %d blocks",
				    self->nr_blocks);

	for (i = 0; i < self->nr_blocks; i++) {
		ret = pm_mem_block_set(self->blocks[i], "offline");
		ASSERT_EQ(0, ret) TH_LOG("offlining memory%ld: %s", self->blocks[i],
					 strerror(-ret));
		ASSERT_TRUE(pm_mem_block_is(self->blocks[i], "offline"))
			TH_LOG("memory%ld is not offline", self->blocks[i]);
	}

	after = pages_on_blocks(self, self->anon, ANON_MB << 20) +
		pages_on_blocks(self, self->file, FILE_MB << 20) +
		pages_on_blocks(self, self->shm, SHMEM_MB << 20);
	EXPECT_EQ(0, after) TH_LOG("%ld pages still on offlined blocks", after);
	bad = pm_first_bad(self->anon, ANON_MB << 20, 11);
	EXPECT_EQ(-1, bad) TH_LOG("anon byte %ld differs", bad);
	bad = pm_first_bad(self->file, FILE_MB << 20, 12);
	EXPECT_EQ(-1, bad) TH_LOG("page cache byte %ld differs", bad);
	bad = pm_first_bad(self->shm, SHMEM_MB << 20, 13);
	EXPECT_EQ(-1, bad) TH_LOG("shmem byte %ld differs", bad);
	TH_LOG("%ld pages were on %d DIMM blocks; all moved", before,
	       self->nr_blocks);
	numa_free_nodemask(node1);
}

TEST_HARNESS_MAIN
