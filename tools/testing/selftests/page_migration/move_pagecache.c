// SPDX-License-Identifier: GPL-2.0
/*
 * Page cache of an ext4 file system (made in the test on /dev/ram0) moves
 * between two nodes through a shared file mapping: clean pages (written
 * and fsynced, still cached) and dirty pages (written, not yet synced);
 * both carry buffer heads. Contents are checked through the mapping,
 * through read(), and, after msync()/fsync(), on the device with O_DIRECT.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/mempolicy.h>

#include "../kselftest_harness.h"
#include "pm_test.h"

#define NR_PAGES	256
#define DEV		"/dev/ram0"
#define PM_KPF_PRIVATE	35	/* PG_private: buffer heads attached */

FIXTURE(pagecache)
{
	int node_a, node_b, fd;
	size_t psz, len;
	char dir[64], path[96];
	int mounted;
	char *map;
	int status[NR_PAGES];
};

FIXTURE_SETUP(pagecache)
{
	struct stat st;

	self->fd = -1;
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	if (stat(DEV, &st) || !S_ISBLK(st.st_mode))
		SKIP(return, "no %s (CONFIG_BLK_DEV_RAM)", DEV);
	if (system("command -v mkfs.ext4 >/dev/null 2>&1"))
		SKIP(return, "mkfs.ext4 not found");
	if (system("grep -q '^" DEV " ' /proc/mounts") == 0)
		SKIP(return, "%s is already mounted", DEV);
	self->psz = getpagesize();
	self->len = NR_PAGES * self->psz;
	ASSERT_EQ(0, system("mkfs.ext4 -q -F -b 4096 " DEV " >/dev/null 2>&1"))
		TH_LOG("mkfs.ext4 on %s failed", DEV);
	strcpy(self->dir, "/tmp/pm_pagecache.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/data", self->dir);
	self->mounted = mount(DEV, self->dir, "ext4", 0, NULL) == 0;
	ASSERT_TRUE(self->mounted) TH_LOG("mount %s: %s", DEV, strerror(errno));
}

FIXTURE_TEARDOWN(pagecache)
{
	if (self->map && self->map != MAP_FAILED)
		munmap(self->map, self->len);
	if (self->fd >= 0)
		close(self->fd);
	if (self->mounted && umount(self->dir))
		TH_LOG("umount %s: %s", self->dir, strerror(errno));
	if (self->dir[0])
		rmdir(self->dir);
}

/* Read the file from the device with O_DIRECT and compare with seed. */
static void check_on_disk(struct __test_metadata *_metadata,
			  FIXTURE_DATA(pagecache) *self, unsigned long seed)
{
	void *copy;
	int fd;

	fd = open(self->path, O_RDONLY | O_DIRECT);
	ASSERT_LE(0, fd) TH_LOG("open O_DIRECT: %s", strerror(errno));
	ASSERT_EQ(0, posix_memalign(&copy, 4096, self->len));
	memset(copy, 0, self->len);
	ASSERT_EQ((ssize_t)self->len, pread(fd, copy, self->len, 0));
	close(fd);
	PM_ASSERT_CONTENT(copy, self->len, seed, self->psz, "O_DIRECT read");
	free(copy);
}

static void check_read(struct __test_metadata *_metadata,
		       FIXTURE_DATA(pagecache) *self, unsigned long seed)
{
	char *copy = malloc(self->len);

	ASSERT_NE(NULL, copy);
	ASSERT_EQ((ssize_t)self->len, pread(self->fd, copy, self->len, 0));
	PM_ASSERT_CONTENT(copy, self->len, seed, self->psz, "read() of the file");
	free(copy);
}

/* Every page cached, with buffer heads, and dirty or clean as asked. */
static void check_flags(struct __test_metadata *_metadata,
			FIXTURE_DATA(pagecache) *self, int dirty,
			const char *when)
{
	uint64_t f;
	int i;

	for (i = 0; i < NR_PAGES; i++) {
		ASSERT_EQ(0, pm_kpageflags(self->map + i * self->psz, &f));
		ASSERT_EQ(0, f & PM_KPF(KPF_ANON))
			TH_LOG("%s: page %d is anonymous (0x%llx)", when, i,
			       (unsigned long long)f);
		ASSERT_NE(0, f & PM_KPF(PM_KPF_PRIVATE))
			TH_LOG("%s: page %d has no buffer heads (0x%llx)", when,
			       i, (unsigned long long)f);
		if (dirty >= 0)
			ASSERT_EQ(!!dirty, !!(f & PM_KPF(KPF_DIRTY)))
				TH_LOG("%s: page %d dirty bit %d, expected %d (0x%llx)",
				       when, i, !!(f & PM_KPF(KPF_DIRTY)), dirty,
				       (unsigned long long)f);
	}
}

static void write_file(struct __test_metadata *_metadata,
		       FIXTURE_DATA(pagecache) *self, unsigned long seed,
		       int sync)
{
	char *data = malloc(self->len);

	ASSERT_NE(NULL, data);
	pm_fill(data, self->len, seed);
	self->fd = open(self->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ((ssize_t)self->len, pwrite(self->fd, data, self->len, 0));
	free(data);
	if (sync)
		ASSERT_EQ(0, fsync(self->fd));
	self->map = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	/* Fault every page in through the mapping. */
	PM_ASSERT_CONTENT(self->map, self->len, seed, self->psz, "before move");
}

TEST_F_TIMEOUT(pagecache, clean_pages, 90)
{
	int r;

	PM_RETURN_IF_SKIPPED();
	write_file(_metadata, self, 31, 1);
	check_flags(_metadata, self, 0, "clean, before move");
	for (r = 0; r < 4; r++) {
		int to = (r & 1) ? self->node_a : self->node_b;

		PM_MOVE_OK(self->map, NR_PAGES, self->psz, to, self->status, 0,
			   "clean page cache");
		PM_ASSERT_WHERE(self->map, NR_PAGES, self->psz, to,
				self->status, "query");
		PM_ASSERT_CONTENT(self->map, self->len, 31, self->psz,
				  "mapping after move");
		check_read(_metadata, self, 31);
		check_flags(_metadata, self, 0, "clean, after move");
	}
	check_on_disk(_metadata, self, 31);
}

TEST_F_TIMEOUT(pagecache, dirty_pages, 90)
{
	int r;

	PM_RETURN_IF_SKIPPED();
	write_file(_metadata, self, 32, 0);
	check_flags(_metadata, self, 1, "dirty, before move");
	for (r = 0; r < 2; r++) {
		int to = (r & 1) ? self->node_a : self->node_b;

		PM_MOVE_OK(self->map, NR_PAGES, self->psz, to, self->status, 0,
			   "dirty page cache");
		PM_ASSERT_WHERE(self->map, NR_PAGES, self->psz, to,
				self->status, "query");
		PM_ASSERT_CONTENT(self->map, self->len, 32, self->psz,
				  "mapping after move");
		check_read(_metadata, self, 32);
		/* Writeback may have started by now: dirty not asserted. */
		check_flags(_metadata, self, -1, "after move");
	}
	/* Data written before the move reaches the disk. */
	ASSERT_EQ(0, fsync(self->fd));
	check_on_disk(_metadata, self, 32);

	/* Dirty the moved pages through the mapping, move, sync, check. */
	pm_fill(self->map, self->len, 33);
	PM_MOVE_OK(self->map, NR_PAGES, self->psz, self->node_b, self->status,
		   0, "page cache dirtied through the mapping");
	PM_ASSERT_CONTENT(self->map, self->len, 33, self->psz,
			  "mapping after second move");
	ASSERT_EQ(0, msync(self->map, self->len, MS_SYNC));
	ASSERT_EQ(0, fsync(self->fd));
	check_on_disk(_metadata, self, 33);
	check_read(_metadata, self, 33);
}

/*
 * mbind(MPOL_MF_MOVE | MPOL_MF_LAZY): dirty page cache, which NUMA
 * balancing's faults leave where it is, moves on its next touch.
 */
TEST_F_TIMEOUT(pagecache, lazy_dirty_pages_move_on_touch, 90)
{
	unsigned long mask;

	PM_RETURN_IF_SKIPPED();
	ASSERT_LT(self->node_b, (int)(8 * sizeof(mask)));
	mask = 1UL << self->node_b;
	write_file(_metadata, self, 34, 0);
	PM_MOVE_OK(self->map, NR_PAGES, self->psz, self->node_a, self->status,
		   0, "dirty page cache to node_a");
	check_flags(_metadata, self, 1, "dirty, before the lazy mbind");
	ASSERT_EQ(0, syscall(__NR_mbind, self->map, self->len, MPOL_BIND,
			     &mask, 8 * sizeof(mask),
			     MPOL_MF_MOVE | MPOL_MF_LAZY))
		TH_LOG("mbind(MOVE | LAZY): %s", strerror(errno));
	PM_ASSERT_WHERE(self->map, NR_PAGES, self->psz, self->node_a,
			self->status, "after the lazy mbind");
	/* Reading every page through the mapping is the touch. */
	PM_ASSERT_CONTENT(self->map, self->len, 34, self->psz,
			  "mapping, touched");
	PM_ASSERT_WHERE(self->map, NR_PAGES, self->psz, self->node_b,
			self->status, "after the touch");
	check_read(_metadata, self, 34);
	ASSERT_EQ(0, fsync(self->fd));
	check_on_disk(_metadata, self, 34);
}

TEST_HARNESS_MAIN
