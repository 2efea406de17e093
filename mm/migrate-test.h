/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit cases for the pure helpers of the migration engine: chunk and
 * list bookkeeping, failure accounting, the dst stash, the pin test and
 * the per-pass policy.  Included at the end of mm/migrate.c, so that the
 * static helpers are in scope, when CONFIG_MIGRATE_KUNIT_TEST is set.
 */
#ifndef _MM_MIGRATE_TEST_H
#define _MM_MIGRATE_TEST_H

#include <kunit/test.h>

/* Allocate a folio of @order for a list test; skip the test if none. */
static struct folio *test_folio(struct kunit *test, unsigned int order)
{
	struct folio *folio = folio_alloc(GFP_KERNEL | __GFP_NOWARN, order);

	if (!folio)
		kunit_skip(test, "no free folio of order %u", order);
	return folio;
}

static void test_put_list(struct list_head *list)
{
	struct folio *folio, *next;

	list_for_each_entry_safe(folio, next, list, lru) {
		list_del(&folio->lru);
		folio_put(folio);
	}
}

static long test_list_len(struct list_head *list)
{
	struct folio *folio;
	long n = 0;

	list_for_each_entry(folio, list, lru)
		n++;
	return n;
}

static void migrate_test_take_chunk_empty(struct kunit *test)
{
	LIST_HEAD(from);
	LIST_HEAD(chunk);

	take_chunk(&from, &chunk);
	KUNIT_EXPECT_TRUE(test, list_empty(&chunk));
	KUNIT_EXPECT_EQ(test, list_nr_pages(&chunk), 0L);
}

/* A chunk holds MIGRATE_LIST_CHUNK base pages at most, in list order. */
static void migrate_test_take_chunk_budget(struct kunit *test)
{
	long nr = MIGRATE_LIST_CHUNK + 3, i;
	struct folio *first = NULL, *folio;
	LIST_HEAD(from);
	LIST_HEAD(chunk);

	for (i = 0; i < nr; i++) {
		folio = folio_alloc(GFP_KERNEL | __GFP_NOWARN, 0);
		if (!folio) {
			test_put_list(&from);
			kunit_skip(test, "no free pages");
		}
		first = first ?: folio;
		list_add_tail(&folio->lru, &from);
	}
	take_chunk(&from, &chunk);
	KUNIT_EXPECT_EQ(test, list_nr_pages(&chunk), (long)MIGRATE_LIST_CHUNK);
	KUNIT_EXPECT_EQ(test, list_nr_pages(&from), 3L);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&chunk, struct folio, lru),
			    first);
	test_put_list(&chunk);
	test_put_list(&from);
}

/* A folio larger than what is left starts the next chunk ... */
static void migrate_test_take_chunk_uneven(struct kunit *test)
{
	unsigned int order = ilog2(MIGRATE_LIST_CHUNK) - 1;
	struct folio *small = test_folio(test, 0);
	struct folio *half1 = test_folio(test, order);
	struct folio *half2 = test_folio(test, order);
	LIST_HEAD(from);
	LIST_HEAD(chunk);

	list_add_tail(&small->lru, &from);
	list_add_tail(&half1->lru, &from);
	list_add_tail(&half2->lru, &from);
	/* 1 + half fits, the second half does not. */
	take_chunk(&from, &chunk);
	KUNIT_EXPECT_EQ(test, test_list_len(&chunk), 2L);
	KUNIT_EXPECT_EQ(test, list_nr_pages(&chunk),
			1L + (MIGRATE_LIST_CHUNK / 2));
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&from, struct folio, lru),
			    half2);
	test_put_list(&chunk);
	test_put_list(&from);
}

/* ... but a chunk always takes one folio, however large. */
static void migrate_test_take_chunk_one_large(struct kunit *test)
{
	unsigned int order = ilog2(MIGRATE_LIST_CHUNK) + 1;
	LIST_HEAD(from);
	LIST_HEAD(chunk);
	struct folio *big;

	if (order > MAX_ORDER - 1)
		kunit_skip(test, "order %u is above MAX_ORDER", order);
	big = test_folio(test, order);
	list_add_tail(&big->lru, &from);
	take_chunk(&from, &chunk);
	KUNIT_EXPECT_EQ(test, test_list_len(&chunk), 1L);
	KUNIT_EXPECT_EQ(test, list_nr_pages(&chunk), 2L * MIGRATE_LIST_CHUNK);
	KUNIT_EXPECT_TRUE(test, list_empty(&from));
	test_put_list(&chunk);
}

/*
 * Large folios go together up to MIGRATE_LARGE_CHUNK base pages; a small
 * folio after them starts the next chunk, as a large one after small.
 */
static void migrate_test_take_chunk_large(struct kunit *test)
{
	unsigned int order = ilog2(MIGRATE_LIST_CHUNK);
	long fit = MIGRATE_LARGE_CHUNK / MIGRATE_LIST_CHUNK, i;
	struct folio *folio, *small;
	LIST_HEAD(from);
	LIST_HEAD(chunk);

	if (order > MAX_ORDER - 1)
		kunit_skip(test, "order %u is above MAX_ORDER", order);
	/* Before the large ones, so that a skip leaves nothing allocated. */
	small = test_folio(test, 0);
	for (i = 0; i < fit + 1; i++) {
		folio = folio_alloc(GFP_KERNEL | __GFP_NOWARN, order);
		if (!folio) {
			test_put_list(&from);
			folio_put(small);
			kunit_skip(test, "no free folio of order %u", order);
		}
		list_add_tail(&folio->lru, &from);
	}
	take_chunk(&from, &chunk);
	KUNIT_EXPECT_EQ(test, test_list_len(&chunk), fit);
	KUNIT_EXPECT_EQ(test, list_nr_pages(&chunk), (long)MIGRATE_LARGE_CHUNK);
	test_put_list(&chunk);

	/* One large left; a small folio after it, a large one after that. */
	list_add_tail(&small->lru, &from);
	take_chunk(&from, &chunk);
	KUNIT_EXPECT_EQ(test, list_nr_pages(&chunk), (long)MIGRATE_LIST_CHUNK);
	test_put_list(&chunk);
	folio = folio_alloc(GFP_KERNEL | __GFP_NOWARN, order);
	if (folio)
		list_add_tail(&folio->lru, &from);
	take_chunk(&from, &chunk);
	KUNIT_EXPECT_EQ(test, list_nr_pages(&chunk), 1L);
	test_put_list(&chunk);
	test_put_list(&from);
}

/*
 * A failed folio counts in the return value; a failed piece of a split
 * folio does not (its folio counted already), but its pages do.
 */
static void migrate_test_count_failure(struct kunit *test)
{
	struct folio_tally small = { .nr_pages = 1 };
	struct folio_tally thp = { .nr_pages = 512, .large = true,
				   .thp = true };
	struct migrate_ctx ctx = { };

	count_failure(&ctx, &small);
	count_failure(&ctx, &thp);
	KUNIT_EXPECT_EQ(test, ctx.nr_failed, 2);
	KUNIT_EXPECT_EQ(test, ctx.stats.nr_failed_pages, 513);
	KUNIT_EXPECT_EQ(test, ctx.stats.nr_thp_failed, 1);

	ctx.moving_pieces = true;
	count_failure(&ctx, &small);
	KUNIT_EXPECT_EQ(test, ctx.nr_failed, 2);
	KUNIT_EXPECT_EQ(test, ctx.stats.nr_failed_pages, 514);
}

/* A failure that is not -EAGAIN goes to ctx->failed and is counted. */
static void migrate_test_settle_simple(struct kunit *test)
{
	struct folio *ok = test_folio(test, 0);
	struct folio *again = test_folio(test, 0);
	struct folio *busy = test_folio(test, 0);
	struct folio_tally t = { .nr_pages = 1 };
	LIST_HEAD(from);
	LIST_HEAD(retry);
	LIST_HEAD(failed);
	struct migrate_ctx ctx = { .failed = &failed };

	list_add_tail(&again->lru, &from);
	list_add_tail(&busy->lru, &from);
	settle_simple(&ctx, ok, &t, MIGRATEPAGE_SUCCESS, &retry);
	settle_simple(&ctx, again, &t, -EAGAIN, &retry);
	settle_simple(&ctx, busy, &t, -EBUSY, &retry);
	KUNIT_EXPECT_EQ(test, ctx.stats.nr_succeeded, 1);
	KUNIT_EXPECT_EQ(test, ctx.nr_failed, 1);
	KUNIT_EXPECT_EQ(test, ctx.stats.nr_failed_pages, 1);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&retry, struct folio, lru),
			    again);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&failed, struct folio, lru),
			    busy);
	KUNIT_EXPECT_TRUE(test, list_empty(&from));
	test_put_list(&retry);
	test_put_list(&failed);
	folio_put(ok);
}

/* Only -ENOMEM and -ENOSYS wait for the batch to be unlocked. */
static void migrate_test_settle_after_batch(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, settle_after_batch(-ENOMEM));
	KUNIT_EXPECT_TRUE(test, settle_after_batch(-ENOSYS));
	KUNIT_EXPECT_FALSE(test, settle_after_batch(-EAGAIN));
	KUNIT_EXPECT_FALSE(test, settle_after_batch(-EBUSY));
	KUNIT_EXPECT_FALSE(test, settle_after_batch(MIGRATEPAGE_SUCCESS));
}

/* dst->private carries the anon_vma and src's state to the move phase. */
static void migrate_test_dst_stash(struct kunit *test)
{
	struct folio *dst = test_folio(test, 0);
	struct anon_vma *av = (struct anon_vma *)&dst->mapping;
	unsigned long state;

	dst_stash(dst, av, SRC_WAS_MAPPED | SRC_WAS_MLOCKED);
	KUNIT_EXPECT_PTR_EQ(test, dst_unstash(dst, &state), av);
	KUNIT_EXPECT_EQ(test, state, SRC_WAS_MAPPED | SRC_WAS_MLOCKED);
	KUNIT_EXPECT_NULL(test, dst->private);
	dst_stash(dst, av, SRC_WAS_MLOCKED);
	KUNIT_EXPECT_PTR_EQ(test, dst_unstash(dst, &state), av);
	KUNIT_EXPECT_EQ(test, state, SRC_WAS_MLOCKED);
	dst_stash(dst, NULL, 0);
	KUNIT_EXPECT_NULL(test, dst_unstash(dst, &state));
	KUNIT_EXPECT_EQ(test, state, 0UL);
	folio_put(dst);
}

/* GUP_PIN_COUNTING_BIAS references beyond the mappings mean a pin. */
static void migrate_test_src_pinned(struct kunit *test)
{
	struct folio *src = test_folio(test, 0);

	KUNIT_EXPECT_FALSE(test, src_pinned(src));
	folio_ref_add(src, 3);
	KUNIT_EXPECT_FALSE(test, src_pinned(src));
	folio_ref_add(src, GUP_PIN_COUNTING_BIAS);
	KUNIT_EXPECT_TRUE(test, src_pinned(src));
	folio_ref_sub(src, GUP_PIN_COUNTING_BIAS + 3);
	folio_put(src);
}

/*
 * The sleeping modes only try, and batch, before MIGRATE_FORCE_PASS;
 * MIGRATE_ASYNC always batches; SYNC_NO_COPY never does.
 */
static void migrate_test_pass_policy(struct kunit *test)
{
	struct migrate_ctx ctx = { .mode = MIGRATE_SYNC };

	for (ctx.pass = 0; ctx.pass < MIGRATE_FORCE_PASS; ctx.pass++) {
		KUNIT_EXPECT_TRUE(test, pass_only_tries(&ctx));
		KUNIT_EXPECT_TRUE(test, batch_may_grow(&ctx));
		KUNIT_EXPECT_EQ(test, move_mode(&ctx), MIGRATE_ASYNC);
	}
	KUNIT_EXPECT_FALSE(test, pass_only_tries(&ctx));
	KUNIT_EXPECT_FALSE(test, batch_may_grow(&ctx));
	KUNIT_EXPECT_EQ(test, move_mode(&ctx), MIGRATE_SYNC);

	ctx.mode = MIGRATE_ASYNC;
	KUNIT_EXPECT_FALSE(test, pass_only_tries(&ctx));
	KUNIT_EXPECT_TRUE(test, batch_may_grow(&ctx));
	ctx.mode = MIGRATE_SYNC_NO_COPY;
	ctx.pass = 0;
	KUNIT_EXPECT_FALSE(test, batch_may_grow(&ctx));
	KUNIT_EXPECT_EQ(test, move_mode(&ctx), MIGRATE_SYNC_NO_COPY);
}

/*
 * Compaction gets MIGRATE_MAX_PASSES; other SYNC callers more, while the
 * call has patience left.
 */
static void migrate_test_may_retry(struct kunit *test)
{
	struct migrate_ctx ctx = { .mode = MIGRATE_SYNC,
				   .reason = MR_COMPACTION,
				   .patience = MIGRATE_PATIENT_PASSES };

	ctx.pass = MIGRATE_MAX_PASSES - 2;
	KUNIT_EXPECT_TRUE(test, migrate_may_retry(&ctx));
	ctx.pass = MIGRATE_MAX_PASSES - 1;
	KUNIT_EXPECT_FALSE(test, migrate_may_retry(&ctx));
	ctx.reason = MR_SYSCALL;
	KUNIT_EXPECT_TRUE(test, migrate_may_retry(&ctx));
	ctx.patience = 0;
	KUNIT_EXPECT_FALSE(test, migrate_may_retry(&ctx));
	ctx.patience = MIGRATE_PATIENT_PASSES;
	ctx.pass = MIGRATE_SYNC_MAX_PASSES - 1;
	KUNIT_EXPECT_FALSE(test, migrate_may_retry(&ctx));
}

/*
 * struct migrate_vma keeps 6.1's layout, which drivers built against
 * 6.1's header rely on: every field a word, in 6.1's order.
 */
static void migrate_test_migrate_vma_layout(struct kunit *test)
{
	const size_t w = sizeof(long);

	KUNIT_EXPECT_EQ(test, offsetof(struct migrate_vma, vma), 0 * w);
	KUNIT_EXPECT_EQ(test, offsetof(struct migrate_vma, dst), 1 * w);
	KUNIT_EXPECT_EQ(test, offsetof(struct migrate_vma, src), 2 * w);
	KUNIT_EXPECT_EQ(test, offsetof(struct migrate_vma, cpages), 3 * w);
	KUNIT_EXPECT_EQ(test, offsetof(struct migrate_vma, npages), 4 * w);
	KUNIT_EXPECT_EQ(test, offsetof(struct migrate_vma, start), 5 * w);
	KUNIT_EXPECT_EQ(test, offsetof(struct migrate_vma, end), 6 * w);
	KUNIT_EXPECT_EQ(test, offsetof(struct migrate_vma, pgmap_owner), 7 * w);
	KUNIT_EXPECT_EQ(test, offsetof(struct migrate_vma, flags), 8 * w);
	KUNIT_EXPECT_EQ(test, offsetof(struct migrate_vma, fault_page), 9 * w);
	KUNIT_EXPECT_EQ(test, sizeof(struct migrate_vma), 10 * w);
}

/* The mbind() flags MPOL_MF_LAZY may come with. */
static void migrate_test_mbind_flags(struct kunit *test)
{
	const unsigned long lazy = MPOL_MF_MOVE | MPOL_MF_LAZY;

	KUNIT_EXPECT_TRUE(test, mbind_flags_valid(0, MPOL_BIND));
	KUNIT_EXPECT_TRUE(test, mbind_flags_valid(MPOL_MF_VALID, MPOL_BIND));
	KUNIT_EXPECT_TRUE(test, mbind_flags_valid(lazy, MPOL_BIND));
	KUNIT_EXPECT_TRUE(test, mbind_flags_valid(lazy, MPOL_LOCAL));
	KUNIT_EXPECT_TRUE(test, mbind_flags_valid(MPOL_MF_MOVE_ALL |
						  MPOL_MF_LAZY, MPOL_BIND));
	KUNIT_EXPECT_FALSE(test, mbind_flags_valid(MPOL_MF_LAZY, MPOL_BIND));
	KUNIT_EXPECT_FALSE(test, mbind_flags_valid(MPOL_MF_STRICT |
						   MPOL_MF_LAZY, MPOL_BIND));
	KUNIT_EXPECT_FALSE(test, mbind_flags_valid(lazy | MPOL_MF_STRICT,
						   MPOL_BIND));
	KUNIT_EXPECT_FALSE(test, mbind_flags_valid(lazy, MPOL_DEFAULT));
	KUNIT_EXPECT_FALSE(test, mbind_flags_valid(MPOL_MF_MOVE | (1UL << 10),
						   MPOL_BIND));
	KUNIT_EXPECT_FALSE(test, mbind_flags_valid(MPOL_MF_INTERNAL,
						   MPOL_BIND));
}

static struct kunit_case migrate_engine_cases[] = {
	KUNIT_CASE(migrate_test_take_chunk_empty),
	KUNIT_CASE(migrate_test_take_chunk_budget),
	KUNIT_CASE(migrate_test_take_chunk_uneven),
	KUNIT_CASE(migrate_test_take_chunk_one_large),
	KUNIT_CASE(migrate_test_take_chunk_large),
	KUNIT_CASE(migrate_test_count_failure),
	KUNIT_CASE(migrate_test_settle_simple),
	KUNIT_CASE(migrate_test_settle_after_batch),
	KUNIT_CASE(migrate_test_dst_stash),
	KUNIT_CASE(migrate_test_src_pinned),
	KUNIT_CASE(migrate_test_pass_policy),
	KUNIT_CASE(migrate_test_may_retry),
	KUNIT_CASE(migrate_test_migrate_vma_layout),
	KUNIT_CASE(migrate_test_mbind_flags),
	{}
};

static struct kunit_suite migrate_engine_suite = {
	.name = "migrate_engine",
	.test_cases = migrate_engine_cases,
};

kunit_test_suite(migrate_engine_suite);

#endif /* _MM_MIGRATE_TEST_H */
