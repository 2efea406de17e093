/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit cases for mm/migrate_copy.c: how a batch is cut into copy jobs,
 * and a batch copied by several threads, byte for byte.  Included at the
 * end of that file when CONFIG_MIGRATE_KUNIT_TEST is set.
 */
#ifndef _MM_MIGRATE_COPY_TEST_H
#define _MM_MIGRATE_COPY_TEST_H

#include <kunit/test.h>
#include <linux/pagemap.h>

#define COPY_TEST_MAX	8

/* A batch of src/dst pairs of the given orders, chained by ->lru. */
struct copy_test_batch {
	struct list_head srcs, dsts;
	struct folio *src[COPY_TEST_MAX], *dst[COPY_TEST_MAX];
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
		b->nr_pages += folio_nr_pages(src);
		b->nr++;
	}
	return 0;
}

static struct copy_job *copy_test_jobs(struct kunit *test, unsigned int n)
{
	struct copy_job *jobs = kunit_kcalloc(test, n, sizeof(*jobs),
					      GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, jobs);
	return jobs;
}

static struct copy_cursor copy_test_start(struct copy_test_batch *b)
{
	return (struct copy_cursor){ .dst = b->dst[0], .src = b->src[0] };
}

/* Index of the folio and page a job starts at, past any used-up folio. */
static void copy_test_where(struct copy_test_batch *b,
			    const struct copy_job *job, unsigned int *folio,
			    unsigned long *page)
{
	struct copy_cursor c = job->from;
	unsigned int i;

	copy_cursor_settle(&c);
	*folio = COPY_TEST_MAX;
	for (i = 0; i < b->nr; i++)
		if (b->src[i] == c.src)
			*folio = i;
	*page = c.page;
}

static void copy_test_expect_job(struct kunit *test, struct copy_test_batch *b,
				 const struct copy_job *job, unsigned int folio,
				 unsigned long page, unsigned long nr_pages)
{
	unsigned int at_folio;
	unsigned long at_page;

	copy_test_where(b, job, &at_folio, &at_page);
	KUNIT_EXPECT_EQ(test, at_folio, folio);
	KUNIT_EXPECT_EQ(test, at_page, page);
	KUNIT_EXPECT_EQ(test, job->nr_pages, nr_pages);
}

static void migrate_copy_test_plan_empty(struct kunit *test)
{
	struct copy_job *jobs = copy_test_jobs(test, 4);
	struct copy_cursor none = { };

	KUNIT_EXPECT_EQ(test, copy_plan(jobs, 4, none, 0), 0U);
}

/* Where a job should start, and how many pages it should copy. */
struct copy_test_share {
	unsigned int folio;
	unsigned long page, nr_pages;
};

/* Plan folios of @orders for @nr_jobs threads; expect @want, in order. */
static void copy_test_plan(struct kunit *test, const unsigned int *orders,
			   unsigned int nr_folios, unsigned int nr_jobs,
			   const struct copy_test_share *want,
			   unsigned int nr_want)
{
	struct copy_job *jobs = copy_test_jobs(test, nr_jobs);
	struct copy_test_batch b;
	unsigned int i;

	if (copy_test_alloc(&b, orders, nr_folios))
		kunit_skip(test, "no free folios");
	KUNIT_EXPECT_EQ(test, copy_plan(jobs, nr_jobs, copy_test_start(&b),
					b.nr_pages), nr_want);
	for (i = 0; i < nr_want; i++)
		copy_test_expect_job(test, &b, &jobs[i], want[i].folio,
				     want[i].page, want[i].nr_pages);
	copy_test_free(&b);
}

static void migrate_copy_test_plan_one(struct kunit *test)
{
	static const unsigned int orders[] = { 0 };
	static const struct copy_test_share want[] = { { 0, 0, 1 } };

	copy_test_plan(test, orders, ARRAY_SIZE(orders), 4, want,
		       ARRAY_SIZE(want));
}

/* 1 + 4 + 1 + 2 pages in three jobs: 3, 3 and 2, cutting the order-2. */
static void migrate_copy_test_plan_uneven(struct kunit *test)
{
	static const unsigned int orders[] = { 0, 2, 0, 1 };
	static const struct copy_test_share want[] = {
		{ 0, 0, 3 }, { 1, 2, 3 }, { 3, 0, 2 },
	};

	copy_test_plan(test, orders, ARRAY_SIZE(orders), 3, want,
		       ARRAY_SIZE(want));
}

/* More threads than pages: one page each, no empty job. */
static void migrate_copy_test_plan_more_threads(struct kunit *test)
{
	static const unsigned int orders[] = { 0, 0 };
	static const struct copy_test_share want[] = {
		{ 0, 0, 1 }, { 1, 0, 1 },
	};

	copy_test_plan(test, orders, ARRAY_SIZE(orders), 8, want,
		       ARRAY_SIZE(want));
}

/* One large folio shared by three threads: 2, 1 and 1 of its pages. */
static void migrate_copy_test_plan_one_large(struct kunit *test)
{
	static const unsigned int orders[] = { 2 };
	static const struct copy_test_share want[] = {
		{ 0, 0, 2 }, { 0, 2, 1 }, { 0, 3, 1 },
	};

	copy_test_plan(test, orders, ARRAY_SIZE(orders), 3, want,
		       ARRAY_SIZE(want));
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

/* The whole copy, on three threads: every byte lands, workers did some. */
static void migrate_copy_test_copy_all(struct kunit *test)
{
	static const unsigned int orders[] = { 0, 2, 0, 1, 3 };
	unsigned long min_bytes = READ_ONCE(copy_min_bytes);
	unsigned long threads = READ_ONCE(copy_threads);
	long worker0 = atomic_long_read(&copy_worker_pages);
	long batches0 = atomic_long_read(&copy_parallel_batches);
	struct copy_test_batch b;

	if (!copy_wq)
		kunit_skip(test, "no copy workqueue");
	if (copy_test_alloc(&b, orders, ARRAY_SIZE(orders)))
		kunit_skip(test, "no free folios");
	copy_test_fill(&b);
	WRITE_ONCE(copy_min_bytes, PAGE_SIZE);
	WRITE_ONCE(copy_threads, 3);
	migrate_copy_folios(b.dst[0], b.src[0], b.nr_pages);
	WRITE_ONCE(copy_threads, threads);
	WRITE_ONCE(copy_min_bytes, min_bytes);

	KUNIT_EXPECT_EQ(test, copy_test_bad_pages(&b), 0UL);
	/* 16 pages in three shares: the workers copied the last two. */
	KUNIT_EXPECT_GE(test, atomic_long_read(&copy_worker_pages) - worker0,
			10L);
	KUNIT_EXPECT_GE(test,
			atomic_long_read(&copy_parallel_batches) - batches0,
			1L);
	copy_test_free(&b);
}

static struct kunit_case migrate_copy_test_cases[] = {
	KUNIT_CASE(migrate_copy_test_plan_empty),
	KUNIT_CASE(migrate_copy_test_plan_one),
	KUNIT_CASE(migrate_copy_test_plan_uneven),
	KUNIT_CASE(migrate_copy_test_plan_more_threads),
	KUNIT_CASE(migrate_copy_test_plan_one_large),
	KUNIT_CASE(migrate_copy_test_auto_pick),
	KUNIT_CASE(migrate_copy_test_copy_all),
	{}
};

static struct kunit_suite migrate_copy_test_suite = {
	.name = "migrate_copy",
	.test_cases = migrate_copy_test_cases,
};

kunit_test_suite(migrate_copy_test_suite);

#endif /* _MM_MIGRATE_COPY_TEST_H */
