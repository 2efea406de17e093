// SPDX-License-Identifier: GPL-2.0
/*
 * Offlining scans its blocks pfn by pfn for LRU pages, and a THP's tail
 * pages read the head's LRU bit. Here THPs on a DIMM fail to move for a
 * while (a pipe holds a reference on each), so the scan starts over and
 * over, while the THP it meets first keeps changing LRU lists (mlock,
 * munlock: the bit is clear while it moves). Now and then the scan
 * passes that head with the bit clear and finds it set at a tail.
 * Offlining must then start from the head. Stock 6.1 starts at the tail, where PageTransHuge()
 * hits its VM_BUG_ON_PAGE(PageTail()) under CONFIG_DEBUG_VM; without
 * it, the THP is skipped and the same tail found again, round after
 * round.
 *
 * The guest boots with a DIMM on its last node; its blocks are offline,
 * or online in ZONE_MOVABLE after users/memory_hotremove.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "../../kselftest_harness.h"
#include "../pm_test.h"

#define THP_MB		64
#define HPSZ		(2UL << 20)
#define FLIPPERS	2
#define HOLD_SECONDS	5
#define SEED		14
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

FIXTURE(offline_race)
{
	long blocks[PM_MEM_MAX_BLOCKS];
	int nr_blocks;
	long block_pages;
	size_t len;
	char *raw, *buf;
};

FIXTURE_SETUP(offline_race)
{
	long failed = -1;

	self->block_pages = pm_mem_block_pages();
	if (self->block_pages <= 0)
		SKIP(return, "no memory hotplug sysfs");
	self->nr_blocks = pm_dimm_blocks_online(self->blocks, PM_MEM_MAX_BLOCKS,
						&failed);
	ASSERT_LE(0, self->nr_blocks)
		TH_LOG("memory%ld: online_movable failed", failed);
	if (!self->nr_blocks)
		SKIP(return, "no DIMM block: boot the guest with a DIMM (DIMM=512)");
}

FIXTURE_TEARDOWN(offline_race)
{
	int i;

	if (self->raw)
		munmap(self->raw, self->len + HPSZ);
	/* Leave the DIMM online for whoever comes next. */
	for (i = 0; i < self->nr_blocks; i++)
		pm_mem_block_set(self->blocks[i], "online_movable");
}

struct flipper {
	pthread_t thread;
	char *buf;
	size_t len;
	const int *stop;
	long rounds;
	int err;
};

/* mlock() and munlock() move the THP to the other LRU list, and back. */
static void *flip_lru_lists(void *arg)
{
	struct flipper *f = arg;

	while (!__atomic_load_n(f->stop, __ATOMIC_RELAXED)) {
		if (mlock(f->buf, f->len) || munlock(f->buf, f->len)) {
			f->err = errno;
			break;
		}
		f->rounds++;
	}
	return NULL;
}

/* A pipe holding a reference on one base page of each THP, for a while. */
struct thp_hold {
	pthread_t thread;
	int fds[2];
};

static int thp_hold_start(struct thp_hold *h, char *buf, long nr)
{
	struct iovec iov;
	long i;

	if (pipe(h->fds))
		return -errno;
	if (fcntl(h->fds[1], F_SETPIPE_SZ, (int)(nr * getpagesize())) < 0)
		return -errno;
	for (i = 0; i < nr; i++) {
		iov = (struct iovec){ buf + i * HPSZ, getpagesize() };
		if (vmsplice(h->fds[1], &iov, 1, 0) != getpagesize())
			return -errno;
	}
	return 0;
}

/* Let go of the THPs after HOLD_SECONDS, so that offlining can end. */
static void *thp_hold_release(void *arg)
{
	struct thp_hold *h = arg;

	sleep(HOLD_SECONDS);
	close(h->fds[0]);
	close(h->fds[1]);
	return NULL;
}

/* The pfn of the THP at buf + off if it is on block nr, else 0. */
static unsigned long thp_on_block(FIXTURE_DATA(offline_race) *self,
				  size_t off, long nr)
{
	unsigned long pfn = pm_pfn(self->buf + off);
	uint64_t f;

	if (!pfn || pfn / self->block_pages != (unsigned long)nr ||
	    pm_kpageflags(self->buf + off, &f) || !(f & PM_KPF(KPF_THP)))
		return 0;
	return pfn;
}

/*
 * How many of buf's THPs are on the blocks, and in *first the offset of
 * the one offlining meets first: the lowest in the first block with any.
 */
static long thps_on_blocks(FIXTURE_DATA(offline_race) *self, size_t *first)
{
	unsigned long pfn, lowest = 0;
	int i, first_block = -1;
	long count = 0;
	size_t off;

	for (i = 0; i < self->nr_blocks; i++)
		for (off = 0; off < self->len; off += HPSZ) {
			pfn = thp_on_block(self, off, self->blocks[i]);
			if (!pfn)
				continue;
			count++;
			if (first_block < 0)
				first_block = i;
			if (i == first_block && (!lowest || pfn < lowest)) {
				lowest = pfn;
				*first = off;
			}
		}
	return count;
}

TEST_F_TIMEOUT(offline_race, thps_changing_lru_lists_move_off, 480)
{
	struct bitmask *dimm_node = numa_allocate_nodemask();
	int ret[PM_MEM_MAX_BLOCKS] = {}, stop = 0, i;
	struct flipper flip[FLIPPERS] = {};
	struct thp_hold hold;
	long thps, after, bad;
	size_t first = 0;
	char knob[128];

	PM_RETURN_IF_SKIPPED();
	if (numa_max_node() < 1)
		SKIP(return, "needs node 1");
	if (pm_read_str(THP_ENABLED, knob, sizeof(knob)) <= 0 ||
	    strstr(knob, "[never]"))
		SKIP(return, "THP is off");
	self->len = THP_MB << 20;
	self->raw = mmap(NULL, self->len + HPSZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->raw);
	self->buf = (char *)(((uintptr_t)self->raw + HPSZ - 1) & ~(HPSZ - 1));
	if (madvise(self->buf, self->len, MADV_HUGEPAGE))
		SKIP(return, "no THP: MADV_HUGEPAGE: %s", strerror(errno));
	/* The DIMM is on the last node, and its movable zone comes first. */
	numa_bitmask_setbit(dimm_node, numa_max_node());
	numa_set_membind(dimm_node);
	pm_fill(self->buf, self->len, SEED);
	numa_set_membind(numa_all_nodes_ptr);
	numa_free_nodemask(dimm_node);
	thps = thps_on_blocks(self, &first);
	ASSERT_LT(0, thps) TH_LOG("no THP of ours landed on the DIMM's %d blocks",
				  self->nr_blocks);

	ASSERT_EQ(0, thp_hold_start(&hold, self->buf, self->len / HPSZ));
	ASSERT_EQ(0, pthread_create(&hold.thread, NULL, thp_hold_release, &hold));
	for (i = 0; i < FLIPPERS; i++) {
		flip[i] = (struct flipper){ .buf = self->buf + first,
					    .len = HPSZ, .stop = &stop };
		ASSERT_EQ(0, pthread_create(&flip[i].thread, NULL,
					    flip_lru_lists, &flip[i]));
	}
	for (i = 0; i < self->nr_blocks; i++)
		ret[i] = pm_mem_block_set(self->blocks[i], "offline");
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(hold.thread, NULL);
	for (i = 0; i < FLIPPERS; i++) {
		pthread_join(flip[i].thread, NULL);
		EXPECT_EQ(0, flip[i].err) TH_LOG("mlock/munlock: %s",
						 strerror(flip[i].err));
		EXPECT_LT(0, flip[i].rounds) TH_LOG("flipper %d never ran", i);
	}

	for (i = 0; i < self->nr_blocks; i++) {
		EXPECT_EQ(0, ret[i]) TH_LOG("offlining memory%ld: %s",
					    self->blocks[i], strerror(-ret[i]));
		EXPECT_TRUE(pm_mem_block_is(self->blocks[i], "offline"))
			TH_LOG("memory%ld is not offline", self->blocks[i]);
	}
	after = pm_pages_on_blocks(self->blocks, self->nr_blocks,
				   self->block_pages, self->buf, self->len);
	EXPECT_EQ(0, after) TH_LOG("%ld pages still on offlined blocks", after);
	bad = pm_first_bad(self->buf, self->len, SEED);
	EXPECT_EQ(-1, bad) TH_LOG("byte %ld differs", bad);
	TH_LOG("%ld THPs on %d DIMM blocks moved off; mlock/munlock rounds meanwhile: %ld and %ld",
	       thps, self->nr_blocks, flip[0].rounds, flip[1].rounds);
}

TEST_HARNESS_MAIN
