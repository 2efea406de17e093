// SPDX-License-Identifier: GPL-2.0
/*
 * Parallel copy (/sys/kernel/mm/migrate/): the knobs refuse bad values
 * and keep the old one; THP and hugetlb pages, one 2 MiB folio and
 * 256 MiB ranges, and a 32 MiB range of base pages move to the other
 * node with copy_threads forced to 1, 2 and automatic.  Every byte is
 * checked, every base page must be on the target node, the huge pages
 * must stay huge, and the workers' counters must show the split: none
 * with one thread, and with more the helpers' part over a range.
 * Automatic mode may copy a large batch alone instead, when it found
 * sharing slower; it counts those, and every large batch must be one or
 * the other: one per up to HUGE_BATCH THPs or hugetlb pages.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "pm_test.h"

#define KNOBS		"/sys/kernel/mm/migrate/"
#define THREADS		KNOBS "copy_threads"
#define MIN_BYTES	KNOBS "copy_min_bytes"
#define WORKER_PAGES	KNOBS "copy_worker_pages"
#define BATCHES		KNOBS "copy_parallel_batches"
#define AUTO_SOLO	KNOBS "copy_auto_solo_batches"
#define HPSZ		(2UL << 20)
#define RANGE		(256UL << 20)
#define BASE_RANGE	(32UL << 20)
#define AUTO_MAX	8	/* mm/migrate_copy.c COPY_AUTO_MAX_THREADS */
#define HUGE_BATCH	8	/* 16 MiB: mm/migrate.c MIGRATE_LARGE_CHUNK */
#define MAX_THREADS	32
#define SEED		77

FIXTURE(knobs)
{
	long threads, min_bytes;
};

FIXTURE_SETUP(knobs)
{
	self->threads = pm_read_long(THREADS);
	self->min_bytes = pm_read_long(MIN_BYTES);
	ASSERT_LE(0, self->threads) TH_LOG("no %s", THREADS);
	ASSERT_LT(0, self->min_bytes) TH_LOG("no %s", MIN_BYTES);
}

FIXTURE_TEARDOWN(knobs)
{
	if (self->threads >= 0)
		pm_write_long(THREADS, self->threads);
	if (self->min_bytes > 0)
		pm_write_long(MIN_BYTES, self->min_bytes);
}

TEST_F(knobs, bad_values_are_refused_and_the_old_one_stays)
{
	static const char * const bad_threads[] = {
		"33", "-1", "abc", "\n", "4294967297", "2 3",
	};
	char too_small[32], too_big[32], page[32];
	const char * const bad_bytes[] = { "0", too_small, too_big, "x", "-4096" };
	long psz = getpagesize();
	size_t i;

	snprintf(too_small, sizeof(too_small), "%ld", psz - 1);
	snprintf(too_big, sizeof(too_big), "%ld", (1L << 30) + 1);
	snprintf(page, sizeof(page), "%ld", psz);

	ASSERT_EQ(0, pm_write_long(THREADS, 3));
	for (i = 0; i < ARRAY_SIZE(bad_threads); i++) {
		EXPECT_EQ(-EINVAL, pm_write_str(THREADS, bad_threads[i]))
			TH_LOG("copy_threads accepted \"%s\"", bad_threads[i]);
		EXPECT_EQ(3, pm_read_long(THREADS));
	}
	ASSERT_EQ(0, pm_write_long(MIN_BYTES, 3 * psz));
	for (i = 0; i < ARRAY_SIZE(bad_bytes); i++) {
		EXPECT_EQ(-EINVAL, pm_write_str(MIN_BYTES, bad_bytes[i]))
			TH_LOG("copy_min_bytes accepted \"%s\"", bad_bytes[i]);
		EXPECT_EQ(3 * psz, pm_read_long(MIN_BYTES));
	}

	/* The ends of the ranges are good values, and 0 is automatic. */
	EXPECT_EQ(0, pm_write_long(THREADS, 0));
	EXPECT_EQ(0, pm_read_long(THREADS));
	EXPECT_EQ(0, pm_write_long(THREADS, MAX_THREADS));
	EXPECT_EQ(MAX_THREADS, pm_read_long(THREADS));
	EXPECT_EQ(0, pm_write_str(MIN_BYTES, page));
	EXPECT_EQ(psz, pm_read_long(MIN_BYTES));
	EXPECT_EQ(0, pm_write_long(MIN_BYTES, 1L << 30));
	EXPECT_EQ(1L << 30, pm_read_long(MIN_BYTES));

	/* The counters are read only. */
	EXPECT_LE(0, pm_read_long(WORKER_PAGES));
	EXPECT_LE(0, pm_read_long(BATCHES));
	EXPECT_LE(0, pm_read_long(AUTO_SOLO));
	EXPECT_NE(0, pm_write_str(WORKER_PAGES, "0"));
}

enum copy_kind { KIND_THP, KIND_HUGETLB, KIND_BASE };

FIXTURE(copy)
{
	int node_a, node_b;
	size_t psz, npages, unit, nunits;
	long threads_orig, min_bytes_orig;
	char hp_path[2][128];
	long hp_orig[2];
	char *raw, *buf;
	size_t raw_len;
	int *status;
};

FIXTURE_VARIANT(copy)
{
	enum copy_kind kind;
	size_t bytes;
	int threads;		/* 0: automatic */
};

/* Threads 0: automatic. */
FIXTURE_VARIANT_ADD(copy, thp_one_t1) {
	.kind = KIND_THP,
	.bytes = HPSZ,
	.threads = 1,
};

FIXTURE_VARIANT_ADD(copy, thp_one_t2) {
	.kind = KIND_THP,
	.bytes = HPSZ,
	.threads = 2,
};

FIXTURE_VARIANT_ADD(copy, thp_one_auto) {
	.kind = KIND_THP,
	.bytes = HPSZ,
	.threads = 0,
};

FIXTURE_VARIANT_ADD(copy, thp_range_t1) {
	.kind = KIND_THP,
	.bytes = RANGE,
	.threads = 1,
};

FIXTURE_VARIANT_ADD(copy, thp_range_t2) {
	.kind = KIND_THP,
	.bytes = RANGE,
	.threads = 2,
};

FIXTURE_VARIANT_ADD(copy, thp_range_auto) {
	.kind = KIND_THP,
	.bytes = RANGE,
	.threads = 0,
};

FIXTURE_VARIANT_ADD(copy, hugetlb_one_t1) {
	.kind = KIND_HUGETLB,
	.bytes = HPSZ,
	.threads = 1,
};

FIXTURE_VARIANT_ADD(copy, hugetlb_one_t2) {
	.kind = KIND_HUGETLB,
	.bytes = HPSZ,
	.threads = 2,
};

FIXTURE_VARIANT_ADD(copy, hugetlb_one_auto) {
	.kind = KIND_HUGETLB,
	.bytes = HPSZ,
	.threads = 0,
};

FIXTURE_VARIANT_ADD(copy, hugetlb_range_t1) {
	.kind = KIND_HUGETLB,
	.bytes = RANGE,
	.threads = 1,
};

FIXTURE_VARIANT_ADD(copy, hugetlb_range_t2) {
	.kind = KIND_HUGETLB,
	.bytes = RANGE,
	.threads = 2,
};

FIXTURE_VARIANT_ADD(copy, hugetlb_range_auto) {
	.kind = KIND_HUGETLB,
	.bytes = RANGE,
	.threads = 0,
};

FIXTURE_VARIANT_ADD(copy, base_range_t1) {
	.kind = KIND_BASE,
	.bytes = BASE_RANGE,
	.threads = 1,
};

FIXTURE_VARIANT_ADD(copy, base_range_t2) {
	.kind = KIND_BASE,
	.bytes = BASE_RANGE,
	.threads = 2,
};

FIXTURE_VARIANT_ADD(copy, base_range_auto) {
	.kind = KIND_BASE,
	.bytes = BASE_RANGE,
	.threads = 0,
};

/* The threads "automatic" means for node: its CPUs, capped. */
static int auto_threads(int node)
{
	struct bitmask *cpus = numa_allocate_cpumask();
	int n = 0;

	if (cpus && !numa_node_to_cpus(node, cpus))
		n = numa_bitmask_weight(cpus);
	if (cpus)
		numa_free_cpumask(cpus);
	return n < 1 ? 1 : n > AUTO_MAX ? AUTO_MAX : n;
}

/* Grow both nodes' 2 MiB pools by what the range needs, and a spare. */
static int grow_pools(FIXTURE_DATA(copy) *self)
{
	int nodes[2] = { self->node_a, self->node_b }, i;

	for (i = 0; i < 2; i++) {
		pm_node_huge_path(self->hp_path[i], sizeof(self->hp_path[i]),
				  nodes[i], "nr_hugepages");
		self->hp_orig[i] = pm_read_long(self->hp_path[i]);
		if (self->hp_orig[i] < 0)
			return -1;
		pm_write_long(self->hp_path[i],
			      self->hp_orig[i] + self->nunits + 1);
		if (pm_node_huge(nodes[i], "free_hugepages") <
		    (long)self->nunits)
			return -1;
	}
	return 0;
}

FIXTURE_SETUP(copy)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;

	self->hp_orig[0] = -1;
	self->hp_orig[1] = -1;
	self->threads_orig = pm_read_long(THREADS);
	self->min_bytes_orig = pm_read_long(MIN_BYTES);
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	ASSERT_LE(0, self->threads_orig) TH_LOG("no %s", THREADS);
	ASSERT_LT(0, self->min_bytes_orig) TH_LOG("no %s", MIN_BYTES);

	self->psz = getpagesize();
	self->npages = variant->bytes / self->psz;
	self->unit = variant->kind == KIND_BASE ? self->psz : HPSZ;
	self->nunits = variant->bytes / self->unit;
	self->status = calloc(self->npages, sizeof(int));
	ASSERT_NE(NULL, self->status);

	if (variant->kind == KIND_HUGETLB) {
		if (grow_pools(self))
			SKIP(return, "could not get %zu free 2 MiB huge pages on each node",
			     self->nunits);
		flags |= MAP_HUGETLB;
		self->raw_len = variant->bytes;
	} else {
		self->raw_len = variant->bytes + HPSZ;
	}
	self->raw = mmap(NULL, self->raw_len, PROT_READ | PROT_WRITE, flags,
			 -1, 0);
	ASSERT_NE(MAP_FAILED, self->raw) TH_LOG("mmap: %s", strerror(errno));
	self->buf = (char *)(((uintptr_t)self->raw + HPSZ - 1) & ~(HPSZ - 1));
	if (variant->kind == KIND_THP)
		ASSERT_EQ(0, madvise(self->buf, variant->bytes, MADV_HUGEPAGE));
	if (variant->kind == KIND_BASE)
		ASSERT_EQ(0, madvise(self->buf, variant->bytes,
				     MADV_NOHUGEPAGE));
}

FIXTURE_TEARDOWN(copy)
{
	int i;

	if (self->raw && self->raw != MAP_FAILED)
		munmap(self->raw, self->raw_len);
	for (i = 0; i < 2; i++)
		if (self->hp_orig[i] >= 0 &&
		    pm_write_long(self->hp_path[i], self->hp_orig[i]))
			TH_LOG("could not restore %s", self->hp_path[i]);
	if (self->threads_orig >= 0)
		pm_write_long(THREADS, self->threads_orig);
	if (self->min_bytes_orig > 0)
		pm_write_long(MIN_BYTES, self->min_bytes_orig);
	free(self->status);
}

/* Base pages of the range whose kpageflags have the bit. */
static long pages_with(FIXTURE_DATA(copy) *self, int bit)
{
	uint64_t f;
	size_t i;
	long n = 0;

	for (i = 0; i < self->npages; i++)
		if (!pm_kpageflags_touch(self->buf + i * self->psz, &f) &&
		    (f & PM_KPF(bit)))
			n++;
	return n;
}

TEST_F_TIMEOUT(copy, contents_placement_and_shares, 300)
{
	int huge_bit = variant->kind == KIND_THP ? KPF_THP : KPF_HUGE;
	long worker0, batches0, solo0, dworker, dbatches, dsolo;
	unsigned long mask;
	int threads;

	PM_RETURN_IF_SKIPPED();
	threads = variant->threads ? variant->threads :
				     auto_threads(self->node_b);
	ASSERT_EQ(0, pm_write_long(THREADS, variant->threads));
	ASSERT_EQ(0, pm_write_long(MIN_BYTES, HPSZ));

	/* First touch on node A, then let the range live on either node. */
	mask = 1UL << self->node_a;
	ASSERT_EQ(0, mbind(self->buf, variant->bytes, MPOL_BIND, &mask,
			   sizeof(mask) * 8, 0));
	pm_fill(self->buf, variant->bytes, SEED);
	mask |= 1UL << self->node_b;
	ASSERT_EQ(0, mbind(self->buf, variant->bytes, MPOL_BIND, &mask,
			   sizeof(mask) * 8, 0));
	PM_ASSERT_WHERE(self->buf, self->npages, self->psz, self->node_a,
			self->status, "first touch");
	if (variant->kind != KIND_BASE &&
	    pages_with(self, huge_bit) != (long)self->npages)
		SKIP(return, "only %ld of %zu base pages are huge on node %d",
		     pages_with(self, huge_bit), self->npages, self->node_a);

	worker0 = pm_read_long(WORKER_PAGES);
	batches0 = pm_read_long(BATCHES);
	solo0 = pm_read_long(AUTO_SOLO);
	PM_MOVE_OK(self->buf, self->nunits, self->unit, self->node_b,
		   self->status, 0, "the move to node B");
	dworker = pm_read_long(WORKER_PAGES) - worker0;
	dbatches = pm_read_long(BATCHES) - batches0;
	dsolo = pm_read_long(AUTO_SOLO) - solo0;

	PM_ASSERT_WHERE(self->buf, self->npages, self->psz, self->node_b,
			self->status, "every base page after the move");
	PM_ASSERT_CONTENT(self->buf, variant->bytes, SEED, self->psz,
			  "after the move");
	if (variant->kind != KIND_BASE)
		ASSERT_EQ((long)self->npages, pages_with(self, huge_bit))
			TH_LOG("only %ld of %zu base pages are still huge",
			       pages_with(self, huge_bit), self->npages);

	TH_LOG("%d thread(s)%s: %ld parallel batches, %ld pages copied by workers, %ld large batches copied alone",
	       threads, variant->threads ? "" : " (automatic)", dbatches,
	       dworker, dsolo);
	/* Only automatic mode chooses; the knob is the same for everyone. */
	if (variant->threads)
		ASSERT_EQ(0, dsolo);
	if (threads == 1) {
		/* Others may migrate meanwhile; one thread never splits. */
		ASSERT_EQ(0, dworker);
		ASSERT_EQ(0, dbatches);
		ASSERT_EQ(0, dsolo);
		return;
	}
	/*
	 * Who copies which chunk is the scheduler's choice, but over many
	 * shared batches the helpers must have taken part.
	 */
	if (self->nunits > 1 && dbatches >= 4)
		ASSERT_LT(0, dworker)
			TH_LOG("helpers copied nothing of %ld shared batches",
			       dbatches);
	if (variant->kind == KIND_BASE) {
		/* Batches of base pages reach 2 MiB when none closes early. */
		ASSERT_LE(1, dbatches + dsolo);
		return;
	}
	/* THPs and hugetlb pages move up to HUGE_BATCH to a batch. */
	ASSERT_LE((long)(self->nunits + HUGE_BATCH - 1) / HUGE_BATCH,
		  dbatches + dsolo);
	if (self->nunits >= 2 * HUGE_BATCH)
		ASSERT_GT((long)self->nunits, dbatches + dsolo)
			TH_LOG("%zu huge pages took %ld large batches: not batched",
			       self->nunits, dbatches + dsolo);
}

TEST_HARNESS_MAIN
