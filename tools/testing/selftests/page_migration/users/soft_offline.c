// SPDX-License-Identifier: GPL-2.0
/*
 * madvise(MADV_SOFT_OFFLINE) on in-use anon pages (CONFIG_MEMORY_FAILURE,
 * CAP_SYS_ADMIN): the page is migrated to a new frame, the contents
 * stay at the same virtual address, the old frame is hwpoisoned
 * (/proc/kpageflags KPF_HWPOISON) and HardwareCorrupted grows. The old
 * frames are unpoisoned through debugfs hwpoison/unpoison-pfn after.
 * The same for an in-use hugetlb page, and soft offline of hugetlb pages
 * racing MPOL_MF_MOVE_ALL moves of them (as LTP's move_pages12 does).
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
#define HPSZ		(2UL << 20)
#define NR_HUGE		2
#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

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
	long huge_orig;		/* nr_hugepages before, -1: untouched */
	int nr_nodes;		/* and each node's pool, for the teardown */
	int nodes[PM_MAX_NODES];
	long node_orig[PM_MAX_NODES];
	int kmsg;		/* the kernel log since the setup, or -1 */
	long hw_start;		/* HardwareCorrupted (kB) then */
};

/*
 * The kernel log from its end: an fd, or -1.  madvise() logs "Soft
 * offlining pfn %#lx at process virtual address %#lx" for each frame it
 * soft-offlines, so the log names every frame a test poisoned.
 * Scanning /proc/kpageflags for poisoned frames instead once oopsed a
 * loaded guest: 6.1's stable_page_flags() walks the large folios of
 * other tasks without a reference while they are being freed.
 */
static int kmsg_open_at_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * Unpoison every frame the log names since the setup.  Some were never
 * poisoned (the offline found them busy): HardwareCorrupted tells.
 */
static void offlined_restore(struct __test_metadata *_metadata,
			     FIXTURE_DATA(so) *self)
{
	char rec[2048], *msg;
	unsigned long pfn;
	ssize_t n;

	for (;;) {
		n = read(self->kmsg, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records lost to wrapping: go on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (msg && sscanf(msg + 1, "Soft offlining pfn %lx", &pfn) == 1)
			pm_write_long(UNPOISON, (long)pfn);
	}
	if (pm_meminfo_kb("HardwareCorrupted") > self->hw_start)
		TH_LOG("HardwareCorrupted %ld kB after the test, %ld kB before",
		       pm_meminfo_kb("HardwareCorrupted"), self->hw_start);
}

FIXTURE_SETUP(so)
{
	self->psz = getpagesize();
	self->huge_orig = -1;
	self->nr_nodes = 0;
	self->kmsg = -1;
	if (geteuid() != 0)
		SKIP(return, "needs root (CAP_SYS_ADMIN, PFNs in pagemap)");
	if (access("/proc/kpageflags", R_OK))
		SKIP(return, "no /proc/kpageflags");
	self->hw_start = pm_meminfo_kb("HardwareCorrupted");
	self->kmsg = kmsg_open_at_end();
	if (self->kmsg < 0)
		SKIP(return, "no /dev/kmsg to name the frames to give back");
}

/* Each node's pool back to its size before the test; the total is checked. */
static void huge_pool_restore(struct __test_metadata *_metadata,
			      FIXTURE_DATA(so) *self)
{
	char path[160];
	int i;

	for (i = 0; i < self->nr_nodes; i++) {
		if (self->node_orig[i] < 0)
			continue;
		pm_node_huge_path(path, sizeof(path), self->nodes[i],
				  "nr_hugepages");
		if (pm_write_long(path, self->node_orig[i]))
			TH_LOG("could not restore %s to %ld", path,
			       self->node_orig[i]);
	}
	if (pm_read_long(NR_HUGEPAGES) != self->huge_orig)
		TH_LOG("nr_hugepages is %ld after the test, %ld before",
		       pm_read_long(NR_HUGEPAGES), self->huge_orig);
}

FIXTURE_TEARDOWN(so)
{
	/* Leave the guest clean: give the poisoned frames back. */
	if (self->kmsg >= 0) {
		offlined_restore(_metadata, self);
		close(self->kmsg);
	}
	if (self->huge_orig >= 0)
		huge_pool_restore(_metadata, self);
}

/*
 * Grow the hugetlb pool by @more pages, noting each node's pool for the
 * teardown: 0, or 1 and SKIP().
 */
static int huge_pool_grow(struct __test_metadata *_metadata,
			  FIXTURE_DATA(so) *self, long more)
{
	long nr = pm_read_long(NR_HUGEPAGES);
	int i;

	if (nr < 0)
		SKIP(return 1, "no %s", NR_HUGEPAGES);
	if (access(UNPOISON, W_OK))
		SKIP(return 1, "no %s to give the frames back", UNPOISON);
	self->nr_nodes = pm_memory_nodes(self->nodes, PM_MAX_NODES);
	for (i = 0; i < self->nr_nodes; i++)
		self->node_orig[i] = pm_node_huge(self->nodes[i],
						  "nr_hugepages");
	self->huge_orig = nr;
	pm_write_long(NR_HUGEPAGES, nr + more);
	if (pm_meminfo_kb("HugePages_Free") < more)
		SKIP(return 1, "could not get %ld free huge pages", more);
	return 0;
}

TEST_F_TIMEOUT(so, anon_pages_move_and_old_frames_poisoned, 120)
{
	size_t len = NPAGES * self->psz;
	long hw_before, hw_after;
	uint64_t ent, pfn, old_pfn[NPAGES];
	char *buf;
	int i, ret;

	PM_RETURN_IF_SKIPPED();
	buf = pm_map(len, MAP_PRIVATE | MAP_ANONYMOUS);
	ASSERT_NE(NULL, buf);
	pm_fill(buf, len, 71);
	for (i = 0; i < NPAGES; i++) {
		ent = pm_pagemap(buf + i * self->psz);
		ASSERT_TRUE(ent & PM_PAGEMAP_PRESENT);
		old_pfn[i] = ent & PM_PAGEMAP_PFN;
		ASSERT_NE(0, old_pfn[i]) {
			TH_LOG("pagemap shows no PFN (not root?)");
		}
		EXPECT_EQ(0, kpageflags_of_pfn(old_pfn[i]) &
			  PM_KPF(KPF_HWPOISON));
	}
	hw_before = pm_meminfo_kb("HardwareCorrupted");
	ret = madvise(buf, len, MADV_SOFT_OFFLINE);
	if (ret && errno == EINVAL)
		SKIP(return, "MADV_SOFT_OFFLINE: EINVAL (no CONFIG_MEMORY_FAILURE?)");
	ASSERT_EQ(0, ret) {
		TH_LOG("madvise(MADV_SOFT_OFFLINE): %s", strerror(errno));
	}
	for (i = 0; i < NPAGES; i++) {
		ent = pm_pagemap(buf + i * self->psz);
		pfn = ent & PM_PAGEMAP_PFN;
		EXPECT_TRUE(ent & PM_PAGEMAP_PRESENT) {
			TH_LOG("page %d not present after soft offline", i);
		}
		EXPECT_NE(old_pfn[i], pfn) {
			TH_LOG("page %d still in frame %#llx", i,
			       (unsigned long long)pfn);
		}
		EXPECT_NE(0, kpageflags_of_pfn(old_pfn[i]) &
			  PM_KPF(KPF_HWPOISON)) {
			TH_LOG("page %d: old frame %#llx not hwpoisoned", i,
			       (unsigned long long)old_pfn[i]);
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

/*
 * An in-use hugetlb page: soft offline moves it to another huge page,
 * the contents stay, and the old head frame is hwpoisoned.
 */
TEST_F_TIMEOUT(so, hugetlb_page_moves_and_old_frame_poisoned, 120)
{
	uint64_t old_pfn, pfn;
	char *buf;
	int ret;

	PM_RETURN_IF_SKIPPED();
	if (huge_pool_grow(_metadata, self, 2))
		return;
	buf = pm_map(HPSZ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB);
	ASSERT_NE(NULL, buf);
	pm_fill(buf, HPSZ, 73);
	old_pfn = pm_pagemap(buf) & PM_PAGEMAP_PFN;
	ASSERT_NE(0, old_pfn);
	ret = madvise(buf, HPSZ, MADV_SOFT_OFFLINE);
	if (ret && errno == EINVAL)
		SKIP(return, "MADV_SOFT_OFFLINE: EINVAL (no CONFIG_MEMORY_FAILURE?)");
	ASSERT_EQ(0, ret) {
		TH_LOG("madvise(MADV_SOFT_OFFLINE): %s", strerror(errno));
	}
	pfn = pm_pagemap(buf) & PM_PAGEMAP_PFN;
	EXPECT_NE(old_pfn, pfn);
	EXPECT_NE(0, kpageflags_of_pfn(old_pfn) & PM_KPF(KPF_HWPOISON))
		TH_LOG("old frame %#llx not hwpoisoned",
		       (unsigned long long)old_pfn);
	EXPECT_NE(0, kpageflags_of_pfn(pfn) & PM_KPF(KPF_HUGE))
		TH_LOG("new frame %#llx is not a hugetlb page",
		       (unsigned long long)pfn);
	EXPECT_EQ(-1, pm_first_bad(buf, HPSZ, 73));
	pm_fill(buf, HPSZ, 74);
	EXPECT_EQ(-1, pm_first_bad(buf, HPSZ, 74));
	munmap(buf, HPSZ);
}

/*
 * Another process moves our huge pages back and forth between two nodes
 * with MPOL_MF_MOVE_ALL, every 4 KiB address of them, while we soft
 * offline them over and over (up to SO_RACE_OFFLINES times, each takes
 * pool pages for good).  madvise() may find a page busy or no page to
 * move it to, nothing else; the mover may only run out of huge pages;
 * the bytes must hold throughout, and the pages must be seen changing
 * node (soft offline keeps a page on its node while it has pool pages).
 */
#define SO_RACE_OFFLINES	32

TEST_F_TIMEOUT(so, hugetlb_soft_offline_races_move_all, 120)
{
	double end;
	size_t len = NR_HUGE * HPSZ, npages = len / self->psz;
	long offlined = 0, busy = 0, crossings = 0;
	int n0, n1, wst, was[NR_HUGE], st[NR_HUGE], i, ret;
	unsigned long mask;
	char *buf;
	pid_t pid;

	PM_RETURN_IF_SKIPPED();
	pm_pick_nodes(&n0, &n1);
	if (n0 < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	if (huge_pool_grow(_metadata, self, 8 * NR_HUGE))
		return;
	buf = pm_map(len, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB);
	ASSERT_NE(NULL, buf);
	mask = 1UL << n0;
	ASSERT_EQ(0, mbind(buf, len, MPOL_BIND, &mask, sizeof(mask) * 8, 0));
	pm_fill(buf, len, 75);
	/* Alone first: a kernel without soft offline says EINVAL. */
	ret = madvise(buf, len, MADV_SOFT_OFFLINE);
	if (ret && errno == EINVAL)
		SKIP(return, "MADV_SOFT_OFFLINE: EINVAL (no CONFIG_MEMORY_FAILURE?)");
	ASSERT_EQ(0, ret)
		TH_LOG("madvise(MADV_SOFT_OFFLINE): %s", strerror(errno));
	offlined++;
	ASSERT_EQ(0, pm_where(buf, NR_HUGE, HPSZ, was));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int *status = calloc(npages, sizeof(*status));
		long k;

		/* Our copy of the mapping would make the pages shared. */
		munmap(buf, len);
		for (k = 0; status; k++) {
			long r = pm_move_pid(getppid(), buf, npages, self->psz,
					     k & 1 ? n0 : n1, status,
					     MPOL_MF_MOVE_ALL);

			if (r < 0 && r != -ENOMEM)
				_exit(1);
		}
		_exit(2);
	}
	end = pm_now() + pm_race_seconds(3);
	while (pm_now() < end && offlined < SO_RACE_OFFLINES) {
		ret = madvise(buf, len, MADV_SOFT_OFFLINE);
		EXPECT_TRUE(!ret || errno == EBUSY || errno == ENOMEM)
			TH_LOG("madvise(MADV_SOFT_OFFLINE): %s", strerror(errno));
		if (ret && errno != EBUSY && errno != ENOMEM)
			break;
		offlined += !ret;
		busy += !!ret;
		EXPECT_EQ(-1, pm_first_bad(buf, len, 75))
			TH_LOG("round %ld: contents changed", offlined + busy);
		EXPECT_EQ(0, pm_where(buf, NR_HUGE, HPSZ, st));
		for (i = 0; i < NR_HUGE; i++) {
			crossings += st[i] >= 0 && was[i] >= 0 && st[i] != was[i];
			was[i] = st[i];
		}
		/* Soft offline must find pool pages on the page's node. */
		if (pm_node_huge(n0, "free_hugepages") < 2 * NR_HUGE ||
		    pm_node_huge(n1, "free_hugepages") < 2 * NR_HUGE)
			pm_write_long(NR_HUGEPAGES,
				      pm_read_long(NR_HUGEPAGES) + 4 * NR_HUGE);
	}
	wst = pm_kill_reap(pid);
	EXPECT_TRUE(wst >= 0 && WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL)
		TH_LOG("the mover exited with %d (1: move_pages() failed)",
		       wst >= 0 && WIFEXITED(wst) ? WEXITSTATUS(wst) : -1);
	TH_LOG("%ld soft offlines, %ld busy or without a target; %ld node changes",
	       offlined, busy, crossings);
	EXPECT_LT(1, offlined);
	EXPECT_LT(0, crossings);
	EXPECT_EQ(-1, pm_first_bad(buf, len, 75));
	munmap(buf, len);
}

TEST_HARNESS_MAIN
