// SPDX-License-Identifier: GPL-2.0
/*
 * madvise(MADV_SOFT_OFFLINE) on in-use anon pages (CONFIG_MEMORY_FAILURE,
 * CAP_SYS_ADMIN): the page is migrated to a new frame, the contents
 * stay at the same virtual address, the old frame is hwpoisoned
 * (/proc/kpageflags KPF_HWPOISON) and HardwareCorrupted grows. The old
 * frames are unpoisoned through debugfs hwpoison/unpoison-pfn after.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "../../kselftest_harness.h"
#include "users_util.h"

#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif
#define KPF_HWPOISON	19
#define NPAGES		8
#define UNPOISON	"/sys/kernel/debug/hwpoison/unpoison-pfn"

static uint64_t kpageflags_of_pfn(uint64_t pfn)
{
	uint64_t f = 0;
	int fd = open("/proc/kpageflags", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &f, sizeof(f), pfn * sizeof(f)) != sizeof(f))
		f = 0;
	close(fd);
	return f;
}

FIXTURE(so)
{
	size_t psz;
	uint64_t old_pfn[NPAGES];
	int nr_old;
};

FIXTURE_SETUP(so)
{
	self->psz = getpagesize();
	self->nr_old = 0;
	if (geteuid() != 0)
		SKIP(return, "needs root (CAP_SYS_ADMIN, PFNs in pagemap)");
	if (access("/proc/kpageflags", R_OK))
		SKIP(return, "no /proc/kpageflags");
}

FIXTURE_TEARDOWN(so)
{
	int i;

	/* Leave the guest clean: give the poisoned frames back. */
	for (i = 0; i < self->nr_old; i++)
		if (!access(UNPOISON, W_OK))
			pm_write_long(UNPOISON, (long)self->old_pfn[i]);
}

TEST_F_TIMEOUT(so, anon_pages_move_and_old_frames_poisoned, 120)
{
	size_t len = NPAGES * self->psz;
	long hw_before, hw_after;
	uint64_t ent, pfn;
	char *buf;
	int i, ret;

	PM_RETURN_IF_SKIPPED();
	buf = pm_map(len, MAP_PRIVATE | MAP_ANONYMOUS);
	ASSERT_NE(NULL, buf);
	pm_fill(buf, len, 71);
	for (i = 0; i < NPAGES; i++) {
		ent = pm_pagemap(buf + i * self->psz);
		ASSERT_TRUE(ent & PM_PAGEMAP_PRESENT);
		self->old_pfn[i] = ent & PM_PAGEMAP_PFN;
		ASSERT_NE(0, self->old_pfn[i]) {
			TH_LOG("pagemap shows no PFN (not root?)");
		}
		EXPECT_EQ(0, kpageflags_of_pfn(self->old_pfn[i]) &
			  PM_KPF(KPF_HWPOISON));
	}
	hw_before = pm_meminfo_kb("HardwareCorrupted");
	ret = madvise(buf, len, MADV_SOFT_OFFLINE);
	if (ret && errno == EINVAL)
		SKIP(return, "MADV_SOFT_OFFLINE: EINVAL (no CONFIG_MEMORY_FAILURE?)");
	ASSERT_EQ(0, ret) {
		TH_LOG("madvise(MADV_SOFT_OFFLINE): %s", strerror(errno));
	}
	self->nr_old = NPAGES;
	for (i = 0; i < NPAGES; i++) {
		ent = pm_pagemap(buf + i * self->psz);
		pfn = ent & PM_PAGEMAP_PFN;
		EXPECT_TRUE(ent & PM_PAGEMAP_PRESENT) {
			TH_LOG("page %d not present after soft offline", i);
		}
		EXPECT_NE(self->old_pfn[i], pfn) {
			TH_LOG("page %d still in frame %#llx", i,
			       (unsigned long long)pfn);
		}
		EXPECT_NE(0, kpageflags_of_pfn(self->old_pfn[i]) &
			  PM_KPF(KPF_HWPOISON)) {
			TH_LOG("page %d: old frame %#llx not hwpoisoned", i,
			       (unsigned long long)self->old_pfn[i]);
		}
		EXPECT_EQ(0, kpageflags_of_pfn(pfn) & PM_KPF(KPF_HWPOISON)) {
			TH_LOG("page %d: new frame %#llx hwpoisoned", i,
			       (unsigned long long)pfn);
		}
	}
	i = pm_first_bad(buf, len, 71);
	EXPECT_EQ(-1, i) {
		TH_LOG("contents differ at byte %d after soft offline", i);
	}
	hw_after = pm_meminfo_kb("HardwareCorrupted");
	EXPECT_LE(hw_before + (long)(len / 1024), hw_after) {
		TH_LOG("HardwareCorrupted %ld kB -> %ld kB, expected +%zu kB",
		       hw_before, hw_after, len / 1024);
	}
	/* The memory stays usable: write and read it again. */
	pm_fill(buf, len, 72);
	EXPECT_EQ(-1, pm_first_bad(buf, len, 72));
	munmap(buf, len);
	if (access(UNPOISON, W_OK))
		TH_LOG("no %s: the old frames stay poisoned", UNPOISON);
}

TEST_HARNESS_MAIN
