// SPDX-License-Identifier: GPL-2.0
/*
 * zsmalloc pages (behind zram) are moved by compaction and the data
 * survives. The test fills /dev/zram0 with compressible but not
 * same-filled blocks of several compressed sizes (O_DIRECT, so the data
 * lives only in zsmalloc), frees every other block to fragment the
 * zspages, then compacts zsmalloc (/sys/block/zram0/compact: mm_stat
 * pages_compacted must grow) and the whole memory
 * (/proc/sys/vm/compact_memory: zsmalloc pages are movable; compaction
 * must scan and migrate pages), and reads every block back.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include "../kselftest_harness.h"
#include "pm_test.h"

#define ZRAM		"/sys/block/zram0"
#define BLK		4096
#define NBLK		2048
#define CHUNK		64	/* blocks per write */

FIXTURE(zsmalloc)
{
	int fd, zram_set;
	char *io;
};

/* Block i: a unique header, some pseudo-random bytes, then a pattern. */
static void gen_block(unsigned char *p, unsigned long i)
{
	unsigned int x = 2654435761u * (i + 1), n, k;

	memset(p, 0, BLK);
	memcpy(p, &i, sizeof(i));
	n = 16 + (i % 7) * 150;		/* incompressible part */
	for (k = 16; k < n; k++) {
		x = x * 1103515245u + 12345u;
		p[k] = x >> 16;
	}
	for (; k < BLK; k++)
		p[k] = (unsigned char)((i & 0xff) ^ (k & 15));
}

/* Field idx (0-based) of /sys/block/zram0/mm_stat. */
static long mm_stat(int idx)
{
	char buf[512], *s = buf, *end;
	long v = -1;
	int i;

	if (pm_read_str(ZRAM "/mm_stat", buf, sizeof(buf)) <= 0)
		return -1;
	for (i = 0; i <= idx; i++) {
		v = strtol(s, &end, 10);
		if (end == s)
			return -1;
		s = end;
	}
	return v;
}

#define MM_ORIG_DATA	0
#define MM_COMPR_DATA	1
#define MM_MEM_USED	2
#define MM_SAME_PAGES	5
#define MM_COMPACTED	6

FIXTURE_SETUP(zsmalloc)
{
	struct stat st;

	self->fd = -1;
	if (stat(ZRAM "/disksize", &st) || stat("/dev/zram0", &st))
		SKIP(return, "no zram0 (CONFIG_ZRAM)");
	if (pm_read_long(ZRAM "/disksize") != 0)
		SKIP(return, "zram0 is already in use");
	ASSERT_EQ(0, posix_memalign((void **)&self->io, BLK, CHUNK * BLK));
	/* Global state from here: no ASSERT, the teardown resets zram0. */
	self->zram_set = pm_write_str(ZRAM "/disksize", "32M") == 0;
	if (self->zram_set)
		self->fd = open("/dev/zram0", O_RDWR | O_DIRECT);
}

FIXTURE_TEARDOWN(zsmalloc)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->zram_set && pm_write_str(ZRAM "/reset", "1"))
		TH_LOG("zram0 reset failed");
	free(self->io);
}

static void check_all(struct __test_metadata *_metadata,
		      FIXTURE_DATA(zsmalloc) *self, const char *when)
{
	unsigned char want[BLK];
	unsigned long i, j;

	for (i = 0; i < NBLK; i += CHUNK) {
		ASSERT_EQ(CHUNK * BLK, pread(self->fd, self->io, CHUNK * BLK,
					     i * BLK))
			TH_LOG("%s: read of block %lu: %s", when, i,
			       strerror(errno));
		for (j = 0; j < CHUNK; j++) {
			unsigned char *got = (unsigned char *)self->io + j * BLK;
			int k;

			if ((i + j) & 1)
				memset(want, 0, BLK);
			else
				gen_block(want, i + j);
			for (k = 0; k < BLK && got[k] == want[k]; k++)
				;
			ASSERT_EQ(BLK, k)
				TH_LOG("%s: block %lu byte %d is 0x%02x, expected 0x%02x",
				       when, i + j, k, got[k], want[k]);
		}
	}
}

TEST_F_TIMEOUT(zsmalloc, compact_and_read_back, 120)
{
	long compacted0, scanned0, migrated0, isolated0;
	unsigned long i, j;

	PM_RETURN_IF_SKIPPED();
	ASSERT_TRUE(self->zram_set) TH_LOG("could not set zram0 disksize");
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/zram0 O_DIRECT failed");

	for (i = 0; i < NBLK; i += CHUNK) {
		for (j = 0; j < CHUNK; j++)
			gen_block((unsigned char *)self->io + j * BLK, i + j);
		ASSERT_EQ(CHUNK * BLK, pwrite(self->fd, self->io, CHUNK * BLK,
					      i * BLK));
	}
	ASSERT_EQ(0, fsync(self->fd));
	TH_LOG("after fill: orig %ld compr %ld used %ld same %ld",
	       mm_stat(MM_ORIG_DATA), mm_stat(MM_COMPR_DATA),
	       mm_stat(MM_MEM_USED), mm_stat(MM_SAME_PAGES));
	ASSERT_EQ(0, mm_stat(MM_SAME_PAGES))
		TH_LOG("blocks were stored as same-filled, not in zsmalloc");
	ASSERT_LT(0, mm_stat(MM_COMPR_DATA));
	ASSERT_GT(mm_stat(MM_ORIG_DATA) / 2, mm_stat(MM_COMPR_DATA))
		TH_LOG("data did not compress: orig %ld compr %ld",
		       mm_stat(MM_ORIG_DATA), mm_stat(MM_COMPR_DATA));

	/* Free every other object: zero blocks are kept as same-filled. */
	memset(self->io, 0, BLK);
	for (i = 1; i < NBLK; i += 2)
		ASSERT_EQ(BLK, pwrite(self->fd, self->io, BLK, i * BLK));
	ASSERT_EQ(0, fsync(self->fd));
	check_all(_metadata, self, "after freeing every other block");

	compacted0 = mm_stat(MM_COMPACTED);
	ASSERT_EQ(0, pm_write_str(ZRAM "/compact", "1"));
	TH_LOG("zram compact: pages_compacted %ld -> %ld, used %ld",
	       compacted0, mm_stat(MM_COMPACTED), mm_stat(MM_MEM_USED));
	ASSERT_LT(compacted0, mm_stat(MM_COMPACTED))
		TH_LOG("zsmalloc compaction freed no zspage: pages_compacted stays %ld",
		       compacted0);
	check_all(_metadata, self, "after zram compaction");

	scanned0 = pm_vmstat("compact_migrate_scanned");
	isolated0 = pm_vmstat("compact_isolated");
	migrated0 = pm_vmstat("pgmigrate_success");
	ASSERT_EQ(0, pm_write_str("/proc/sys/vm/compact_memory", "1"));
	TH_LOG("compact_memory: migrate_scanned +%ld isolated +%ld pgmigrate_success +%ld",
	       pm_vmstat("compact_migrate_scanned") - scanned0,
	       pm_vmstat("compact_isolated") - isolated0,
	       pm_vmstat("pgmigrate_success") - migrated0);
	ASSERT_LT(scanned0, pm_vmstat("compact_migrate_scanned"));
	ASSERT_LT(migrated0, pm_vmstat("pgmigrate_success"))
		TH_LOG("compaction migrated no page");
	check_all(_metadata, self, "after memory compaction");
}

TEST_HARNESS_MAIN
