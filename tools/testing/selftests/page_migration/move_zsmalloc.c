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
#include "../kselftest_harness.h"
#include "pm_zram.h"

#define BLK		PM_ZRAM_BLK
#define NBLK		2048
#define CHUNK		64	/* blocks per write */
#define ZS(field)	pm_zram_mm_stat(PM_ZRAM_##field)

FIXTURE(zsmalloc)
{
	int fd;
	char *io;
};

FIXTURE_SETUP(zsmalloc)
{
	/* Nothing may fail once zram0 is sized: setup has no teardown. */
	ASSERT_EQ(0, posix_memalign((void **)&self->io, BLK, CHUNK * BLK));
	self->fd = pm_zram_start("32M");
	if (self->fd == -ENODEV)
		SKIP(return, "no zram0 (CONFIG_ZRAM)");
	if (self->fd == -EBUSY)
		SKIP(return, "zram0 is already in use");
	ASSERT_LE(0, self->fd) TH_LOG("zram0: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(zsmalloc)
{
	if (self->fd >= 0 && pm_zram_reset(self->fd))
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
				pm_zram_block(want, i + j);
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

	for (i = 0; i < NBLK; i += CHUNK) {
		for (j = 0; j < CHUNK; j++)
			pm_zram_block((unsigned char *)self->io + j * BLK, i + j);
		ASSERT_EQ(CHUNK * BLK, pwrite(self->fd, self->io, CHUNK * BLK,
					      i * BLK));
	}
	ASSERT_EQ(0, fsync(self->fd));
	TH_LOG("after fill: orig %ld compr %ld used %ld same %ld",
	       ZS(ORIG_DATA), ZS(COMPR_DATA),
	       ZS(MEM_USED), ZS(SAME_PAGES));
	ASSERT_EQ(0, ZS(SAME_PAGES))
		TH_LOG("blocks were stored as same-filled, not in zsmalloc");
	ASSERT_LT(0, ZS(COMPR_DATA));
	ASSERT_GT(ZS(ORIG_DATA) / 2, ZS(COMPR_DATA))
		TH_LOG("data did not compress: orig %ld compr %ld",
		       ZS(ORIG_DATA), ZS(COMPR_DATA));

	/* Free every other object: zero blocks are kept as same-filled. */
	memset(self->io, 0, BLK);
	for (i = 1; i < NBLK; i += 2)
		ASSERT_EQ(BLK, pwrite(self->fd, self->io, BLK, i * BLK));
	ASSERT_EQ(0, fsync(self->fd));
	check_all(_metadata, self, "after freeing every other block");

	compacted0 = ZS(COMPACTED);
	ASSERT_EQ(0, pm_write_str(PM_ZRAM "/compact", "1"));
	TH_LOG("zram compact: pages_compacted %ld -> %ld, used %ld",
	       compacted0, ZS(COMPACTED), ZS(MEM_USED));
	ASSERT_LT(compacted0, ZS(COMPACTED))
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
