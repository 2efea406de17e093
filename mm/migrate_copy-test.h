/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit cases for mm/migrate_copy.c: how a batch is claimed in chunks,
 * how many helpers it gets, a batch copied by several threads, byte for
 * byte, chained by ->lru or kept in an array, and helpers not started
 * cancelled, not waited for.  Included at
 * the end of that file when CONFIG_MIGRATE_KUNIT_TEST is set.
 */
#ifndef _MM_MIGRATE_COPY_TEST_H
#define _MM_MIGRATE_COPY_TEST_H

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/pagemap.h>

#define COPY_TEST_MAX	8

/*
 * A batch of src/dst pairs of the given orders, chained by ->lru and
 * also kept in an array of pairs.
 */
struct copy_test_batch {
	struct list_head srcs, dsts;
	struct folio *src[COPY_TEST_MAX], *dst[COPY_TEST_MAX];
	struct migrate_copy_pair pair[COPY_TEST_MAX];
	bool by_pair;		/* walk the array, not the lists */
	unsigned int nr;
	unsigned long nr_pages;
};

static void copy_test_free(struct copy_test_batch *b)
{
	unsigned int i;

	for (i = 0; i < b->nr; i++) {
		list_del(&b->src[i]->lru);
		list_del(&b->dst[i]->lru);
		folio_unlock(b->src[i]);
		folio_unlock(b->dst[i]);
		folio_put(b->src[i]);
		folio_put(b->dst[i]);
	}
	b->nr = 0;
}

/* 0, or -ENOMEM with nothing left allocated. */
static int copy_test_alloc(struct copy_test_batch *b,
			   const unsigned int *orders, unsigned int nr)
{
	unsigned int i;

	INIT_LIST_HEAD(&b->srcs);
	INIT_LIST_HEAD(&b->dsts);
	b->by_pair = false;
	b->nr = 0;
	b->nr_pages = 0;
	for (i = 0; i < nr; i++) {
		struct folio *src = folio_alloc(GFP_KERNEL | __GFP_NOWARN,
						orders[i]);
		struct folio *dst = folio_alloc(GFP_KERNEL | __GFP_NOWARN,
						orders[i]);

		if (!src || !dst) {
			if (src)
				folio_put(src);
			if (dst)
				folio_put(dst);
			copy_test_free(b);
			return -ENOMEM;
		}
		folio_lock(src);
		folio_lock(dst);
		list_add_tail(&src->lru, &b->srcs);
		list_add_tail(&dst->lru, &b->dsts);
		b->src[i] = src;
		b->dst[i] = dst;
		b->pair[i].src = src;
		b->pair[i].dst = dst;
		b->nr_pages += folio_nr_pages(src);
		b->nr++;
	}
	return 0;
}

/* Take the folios off the lists, each ->lru pointing at itself. */
static void copy_test_unchain(struct copy_test_batch *b)
{
	unsigned int i;

	for (i = 0; i < b->nr; i++) {
		list_del_init(&b->src[i]->lru);
		list_del_init(&b->dst[i]->lru);
	}
}

static struct copy_cursor copy_test_start(struct copy_test_batch *b)
{
	return (struct copy_cursor){ .dst = b->dst[0], .src = b->src[0],
				     .pair = b->by_pair ? b->pair : NULL };
}

/* Index of the folio and page a claim starts at, past a used-up folio. */
static void copy_test_where(struct copy_test_batch *b, struct copy_cursor c,
			    unsigned int *folio, unsigned long *page)
{
	unsigned int i;

	copy_cursor_settle(&c);
	*folio = COPY_TEST_MAX;
	for (i = 0; i < b->nr; i++)
		if (b->src[i] == c.src)
			*folio = i;
	*page = c.page;
}

static void migrate_copy_test_claim_empty(struct kunit *test)
{
	struct copy_cursor none = { }, from;
	struct copy_share share;

	copy_share_init(&share, none, 0, 4);
	KUNIT_EXPECT_EQ(test, copy_claim(&share, &from), 0UL);
	KUNIT_EXPECT_EQ(test, copy_nr_helpers(4, 0, 4), 0U);
}

/* Where a claim should start, and how many pages it should get. */
struct copy_test_claim {
	unsigned int folio;
	unsigned long page, nr_pages;
};

/*
 * Claim folios of @orders in chunks of @chunk pages until none is left;
 * expect @want, in order, and then nothing.  @by_pair: the batch is an
 * array of pairs.
 */
static void copy_test_claims(struct kunit *test, const unsigned int *orders,
			     unsigned int nr_folios, unsigned long chunk,
			     const struct copy_test_claim *want,
			     unsigned int nr_want, bool by_pair)
{
	struct copy_test_batch b;
	struct copy_share share;
	struct copy_cursor from;
	unsigned long page, nr;
	unsigned int i, folio;

	if (copy_test_alloc(&b, orders, nr_folios))
		kunit_skip(test, "no free folios");
	b.by_pair = by_pair;
	copy_share_init(&share, copy_test_start(&b), b.nr_pages, chunk);
	for (i = 0; i < nr_want; i++) {
		nr = copy_claim(&share, &from);
		KUNIT_EXPECT_EQ(test, nr, want[i].nr_pages);
		/* Nothing claimed: from was not set. */
		if (!nr)
			break;
		copy_test_where(&b, from, &folio, &page);
		KUNIT_EXPECT_EQ(test, folio, want[i].folio);
		KUNIT_EXPECT_EQ(test, page, want[i].page);
	}
	KUNIT_EXPECT_EQ(test, copy_claim(&share, &from), 0UL);
	KUNIT_EXPECT_EQ(test, share.left, 0UL);
	copy_test_free(&b);
}

static void migrate_copy_test_claim_one(struct kunit *test)
{
	static const unsigned int orders[] = { 0 };
	static const struct copy_test_claim want[] = { { 0, 0, 1 } };

	copy_test_claims(test, orders, ARRAY_SIZE(orders), 4, want,
			 ARRAY_SIZE(want), false);
	KUNIT_EXPECT_EQ(test, copy_nr_helpers(4, 1, 4), 0U);
}

/* 1 + 4 + 1 + 2 pages in chunks of 3: the order-2 folio is cut. */
static void migrate_copy_test_claim_uneven(struct kunit *test)
{
	static const unsigned int orders[] = { 0, 2, 0, 1 };
	static const struct copy_test_claim want[] = {
		{ 0, 0, 3 }, { 1, 2, 3 }, { 3, 0, 2 },
	};

	copy_test_claims(test, orders, ARRAY_SIZE(orders), 3, want,
			 ARRAY_SIZE(want), false);
	/* The same batch kept in an array, as hugetlb batches are. */
	copy_test_claims(test, orders, ARRAY_SIZE(orders), 3, want,
			 ARRAY_SIZE(want), true);
}

/* One large folio in chunks of 3: 3 of its pages, then the last. */
static void migrate_copy_test_claim_one_large(struct kunit *test)
{
	static const unsigned int orders[] = { 2 };
	static const struct copy_test_claim want[] = {
		{ 0, 0, 3 }, { 0, 3, 1 },
	};

	copy_test_claims(test, orders, ARRAY_SIZE(orders), 3, want,
			 ARRAY_SIZE(want), false);
}

/* Helpers: one per thread beside the caller, no more than chunks. */
static void migrate_copy_test_nr_helpers(struct kunit *test)
{
	/* More threads than folios (and chunks): one helper for two. */
	KUNIT_EXPECT_EQ(test, copy_nr_helpers(8, 2, 1), 1U);
	KUNIT_EXPECT_EQ(test, copy_nr_helpers(8, 512, 64), 7U);
	KUNIT_EXPECT_EQ(test, copy_nr_helpers(3, 512, 64), 2U);
	/* 130 pages are three chunks, the last of two pages. */
	KUNIT_EXPECT_EQ(test, copy_nr_helpers(8, 130, 64), 2U);
	KUNIT_EXPECT_EQ(test, copy_nr_helpers(1, 512, 64), 0U);
	KUNIT_EXPECT_EQ(test, copy_nr_helpers(8, 64, 64), 0U);
}

/* Automatic mode: try both ways, then the faster, probing the other. */
static void migrate_copy_test_auto_pick(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, copy_auto_pick(0, 0, 1));
	KUNIT_EXPECT_TRUE(test, copy_auto_pick(500, 0, 2));
	KUNIT_EXPECT_FALSE(test, copy_auto_pick(0, 500, 3));
	/* Sharing faster: shared, but every COPY_PROBE_EVERY-th solo. */
	KUNIT_EXPECT_TRUE(test, copy_auto_pick(900, 500, 5));
	KUNIT_EXPECT_FALSE(test, copy_auto_pick(900, 500, COPY_PROBE_EVERY));
	KUNIT_EXPECT_FALSE(test, copy_auto_pick(900, 500,
						2 * COPY_PROBE_EVERY));
	/* Sharing slower, or no faster: solo, and a shared probe. */
	KUNIT_EXPECT_FALSE(test, copy_auto_pick(500, 900, 5));
	KUNIT_EXPECT_FALSE(test, copy_auto_pick(500, 500, 5));
	KUNIT_EXPECT_TRUE(test, copy_auto_pick(500, 900, COPY_PROBE_EVERY));
}

/* Size classes, a factor of four each, from 4 MiB; the last open. */
static void migrate_copy_test_auto_class(struct kunit *test)
{
	unsigned long mib = SZ_1M >> PAGE_SHIFT;

	KUNIT_EXPECT_EQ(test, copy_auto_class(0), 0U);
	KUNIT_EXPECT_EQ(test, copy_auto_class(1), 0U);
	KUNIT_EXPECT_EQ(test, copy_auto_class(2 * mib), 0U);
	KUNIT_EXPECT_EQ(test, copy_auto_class(4 * mib - 1), 0U);
	KUNIT_EXPECT_EQ(test, copy_auto_class(4 * mib), 1U);
	KUNIT_EXPECT_EQ(test, copy_auto_class(16 * mib - 1), 1U);
	KUNIT_EXPECT_EQ(test, copy_auto_class(16 * mib), 2U);
	KUNIT_EXPECT_EQ(test, copy_auto_class(64 * mib), 3U);
	KUNIT_EXPECT_EQ(test, copy_auto_class(ULONG_MAX >> PAGE_SHIFT),
			COPY_AUTO_CLASSES - 1);
}

static u8 copy_test_byte(unsigned long page, unsigned long off)
{
	return (u8)(page * 131 + off * 7 + (off >> 9));
}

static void copy_test_fill(struct copy_test_batch *b)
{
	unsigned long n = 0, off;
	unsigned int i, p;

	for (i = 0; i < b->nr; i++)
		for (p = 0; p < folio_nr_pages(b->src[i]); p++, n++) {
			u8 *s = kmap_local_page(folio_page(b->src[i], p));
			u8 *d = kmap_local_page(folio_page(b->dst[i], p));

			for (off = 0; off < PAGE_SIZE; off++)
				s[off] = copy_test_byte(n, off);
			memset(d, 0xa5, PAGE_SIZE);
			kunmap_local(d);
			kunmap_local(s);
		}
}

/* Pages of the batch whose dst differs from what src was filled with. */
static unsigned long copy_test_bad_pages(struct copy_test_batch *b)
{
	unsigned long n = 0, bad = 0, off;
	unsigned int i, p;

	for (i = 0; i < b->nr; i++)
		for (p = 0; p < folio_nr_pages(b->dst[i]); p++, n++) {
			u8 *d = kmap_local_page(folio_page(b->dst[i], p));

			for (off = 0; off < PAGE_SIZE; off++)
				if (d[off] != copy_test_byte(n, off))
					break;
			bad += off != PAGE_SIZE;
			kunmap_local(d);
		}
	return bad;
}

/* Two helpers and no caller: they copy every chunk, byte for byte. */
static void migrate_copy_test_helpers_copy(struct kunit *test)
{
	static const unsigned int orders[] = { 0, 2, 0, 1, 3 };
	long worker0 = atomic_long_read(&copy_worker_pages);
	struct copy_helper *helpers;
	struct copy_test_batch b;
	struct copy_share share;

	if (!copy_wq)
		kunit_skip(test, "no copy workqueue");
	helpers = kunit_kcalloc(test, 2, sizeof(*helpers), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, helpers);
	if (copy_test_alloc(&b, orders, ARRAY_SIZE(orders)))
		kunit_skip(test, "no free folios");
	copy_test_fill(&b);
	copy_share_init(&share, copy_test_start(&b), b.nr_pages, 3);
	copy_helpers_start(helpers, 2, &share,
			   numa_node_id());
	flush_work(&helpers[0].work);
	flush_work(&helpers[1].work);

	/* Each says it is done with the batch: the caller's cue to go. */
	KUNIT_EXPECT_TRUE(test, helpers[0].done);
	KUNIT_EXPECT_TRUE(test, helpers[1].done);
	KUNIT_EXPECT_EQ(test, share.left, 0UL);
	KUNIT_EXPECT_EQ(test, copy_test_bad_pages(&b), 0UL);
	/* Others may migrate meanwhile: at least ours were counted. */
	KUNIT_EXPECT_GE(test, atomic_long_read(&copy_worker_pages) - worker0,
			(long)b.nr_pages);
	copy_test_free(&b);
}

/*
 * The whole copy of folios of @orders, on three threads in chunks of a
 * page: every byte.  @by_pair: the batch is an array of pairs, and the
 * folios are not chained, so only the array leads from pair to pair.
 */
static void copy_test_all(struct kunit *test, const unsigned int *orders,
			  unsigned int nr_folios, bool by_pair)
{
	unsigned long min_bytes = READ_ONCE(copy_min_bytes);
	unsigned long threads = READ_ONCE(copy_threads);
	long batches0 = atomic_long_read(&copy_parallel_batches);
	struct copy_test_batch b;

	if (!copy_wq)
		kunit_skip(test, "no copy workqueue");
	if (copy_test_alloc(&b, orders, nr_folios))
		kunit_skip(test, "no free folios");
	if (by_pair)
		copy_test_unchain(&b);
	copy_test_fill(&b);
	WRITE_ONCE(copy_min_bytes, PAGE_SIZE);
	WRITE_ONCE(copy_threads, 3);
	WRITE_ONCE(copy_chunk_pages, 1);
	if (by_pair)
		migrate_copy_pairs(b.pair, b.nr);
	else
		migrate_copy_folios(b.dst[0], b.src[0], b.nr_pages);
	WRITE_ONCE(copy_chunk_pages, COPY_CHUNK_PAGES);
	WRITE_ONCE(copy_threads, threads);
	WRITE_ONCE(copy_min_bytes, min_bytes);

	KUNIT_EXPECT_EQ(test, copy_test_bad_pages(&b), 0UL);
	/* Shared out; who copied which chunk is the scheduler's choice. */
	KUNIT_EXPECT_GE(test,
			atomic_long_read(&copy_parallel_batches) - batches0,
			1L);
	copy_test_free(&b);
}

static void migrate_copy_test_copy_all(struct kunit *test)
{
	static const unsigned int orders[] = { 0, 2, 0, 1, 3 };

	copy_test_all(test, orders, ARRAY_SIZE(orders), false);
}

/* The same for a batch kept in an array, as hugetlb batches are. */
static void migrate_copy_test_copy_pairs(struct kunit *test)
{
	static const unsigned int orders[] = { 1, 0, 3, 0, 2 };

	copy_test_all(test, orders, ARRAY_SIZE(orders), true);
}

/*
 * Automatic mode learns from a batch in the batch's own size class only:
 * a 16-page batch, copied with every class's averages cleared, is timed
 * into class 0 and leaves the others untouched.
 */
static void migrate_copy_test_auto_learns_in_class(struct kunit *test)
{
	static const unsigned int orders[] = { 0, 2, 0, 1, 3 };
	unsigned long min_bytes = READ_ONCE(copy_min_bytes);
	unsigned long threads = READ_ONCE(copy_threads);
	struct copy_auto saved[COPY_AUTO_CLASSES];
	struct copy_test_batch b;
	unsigned int i;

	if (!copy_wq || nr_cpus_node(numa_node_id()) < 2)
		kunit_skip(test, "automatic mode copies alone here");
	if (copy_test_alloc(&b, orders, ARRAY_SIZE(orders)))
		kunit_skip(test, "no free folios");
	copy_test_fill(&b);
	memcpy(saved, copy_auto, sizeof(saved));
	memset(copy_auto, 0, sizeof(copy_auto));
	WRITE_ONCE(copy_min_bytes, PAGE_SIZE);
	WRITE_ONCE(copy_threads, 0);
	migrate_copy_folios(b.dst[0], b.src[0], b.nr_pages);
	WRITE_ONCE(copy_threads, threads);
	WRITE_ONCE(copy_min_bytes, min_bytes);

	KUNIT_EXPECT_EQ(test, copy_test_bad_pages(&b), 0UL);
	/* One chunk: shared or not, class 0 timed it. */
	KUNIT_EXPECT_GE(test, atomic_long_read(&copy_auto[0].nth), 1L);
	KUNIT_EXPECT_NE(test, READ_ONCE(copy_auto[0].solo_ns) |
			      READ_ONCE(copy_auto[0].shared_ns), 0UL);
	for (i = 1; i < COPY_AUTO_CLASSES; i++) {
		KUNIT_EXPECT_EQ(test, atomic_long_read(&copy_auto[i].nth), 0L);
		KUNIT_EXPECT_EQ(test, READ_ONCE(copy_auto[i].solo_ns), 0UL);
		KUNIT_EXPECT_EQ(test, READ_ONCE(copy_auto[i].shared_ns), 0UL);
	}
	memcpy(copy_auto, saved, sizeof(saved));
	copy_test_free(&b);
}

/* A work item that holds an ordered workqueue up until told to go. */
struct copy_test_blocker {
	struct work_struct work;
	struct completion go;
	bool timed_out;
};

static void copy_test_block_fn(struct work_struct *work)
{
	struct copy_test_blocker *b = container_of(work,
						   struct copy_test_blocker,
						   work);

	/* Bounded, so that a finish that waits fails instead of hanging. */
	b->timed_out = !wait_for_completion_timeout(&b->go, 10 * HZ);
}

/*
 * Helpers queued behind a busy worker when the caller is done: finish
 * cancels them and returns without waiting, and they never run.
 */
static void migrate_copy_test_finish_cancels(struct kunit *test)
{
	struct copy_cursor none = { };
	struct copy_test_blocker blocker = { };
	struct copy_helper helpers[2];
	struct workqueue_struct *wq;
	struct copy_share share;
	unsigned int i;

	wq = alloc_ordered_workqueue("migrate_copy_test", 0);
	KUNIT_ASSERT_NOT_NULL(test, wq);
	init_completion(&blocker.go);
	INIT_WORK_ONSTACK(&blocker.work, copy_test_block_fn);
	queue_work(wq, &blocker.work);
	copy_share_init(&share, none, 0, 1);
	for (i = 0; i < ARRAY_SIZE(helpers); i++) {
		helpers[i].share = &share;
		helpers[i].done = false;
		INIT_WORK_ONSTACK(&helpers[i].work, copy_helper_fn);
		queue_work(wq, &helpers[i].work);
	}

	copy_helpers_finish(helpers, ARRAY_SIZE(helpers), NSEC_PER_MSEC);
	complete(&blocker.go);
	destroy_workqueue(wq);

	KUNIT_EXPECT_FALSE(test, blocker.timed_out);
	for (i = 0; i < ARRAY_SIZE(helpers); i++) {
		KUNIT_EXPECT_FALSE(test, helpers[i].done);
		destroy_work_on_stack(&helpers[i].work);
	}
	destroy_work_on_stack(&blocker.work);
}

static struct kunit_case migrate_copy_test_cases[] = {
	KUNIT_CASE(migrate_copy_test_claim_empty),
	KUNIT_CASE(migrate_copy_test_claim_one),
	KUNIT_CASE(migrate_copy_test_claim_uneven),
	KUNIT_CASE(migrate_copy_test_claim_one_large),
	KUNIT_CASE(migrate_copy_test_nr_helpers),
	KUNIT_CASE(migrate_copy_test_auto_pick),
	KUNIT_CASE(migrate_copy_test_auto_class),
	KUNIT_CASE(migrate_copy_test_helpers_copy),
	KUNIT_CASE(migrate_copy_test_copy_all),
	KUNIT_CASE(migrate_copy_test_copy_pairs),
	KUNIT_CASE(migrate_copy_test_auto_learns_in_class),
	KUNIT_CASE(migrate_copy_test_finish_cancels),
	{}
};

static struct kunit_suite migrate_copy_test_suite = {
	.name = "migrate_copy",
	.test_cases = migrate_copy_test_cases,
};

kunit_test_suite(migrate_copy_test_suite);

#endif /* _MM_MIGRATE_COPY_TEST_H */
