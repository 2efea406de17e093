/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit cases for mm/migrate_mapping.c: the reference count an idle
 * folio has, which the move freezes at, and where the memcg charge goes
 * when the state moves.  Included at the end of that file when
 * CONFIG_MIGRATE_KUNIT_TEST is set.
 */
#ifndef _MM_MIGRATE_MAPPING_TEST_H
#define _MM_MIGRATE_MAPPING_TEST_H

#include <kunit/test.h>

/*
 * Isolation alone for an unmapped anon folio; one more per page held by
 * a cache, and one for private data.
 */
static void migrate_test_refs_when_idle(struct kunit *test)
{
	/* Never dereferenced: only "has a mapping" matters. */
	struct address_space *cache = (struct address_space *)test;
	struct folio *small = folio_alloc(GFP_KERNEL | __GFP_NOWARN, 0);
	struct folio *large = folio_alloc(GFP_KERNEL | __GFP_NOWARN, 2);

	if (!small || !large) {
		if (small)
			folio_put(small);
		if (large)
			folio_put(large);
		kunit_skip(test, "no free folios");
	}
	KUNIT_EXPECT_EQ(test, folio_refs_when_idle(NULL, small), 1);
	KUNIT_EXPECT_EQ(test, folio_refs_when_idle(NULL, large), 1);
	KUNIT_EXPECT_EQ(test, folio_refs_when_idle(cache, small), 2);
	KUNIT_EXPECT_EQ(test, folio_refs_when_idle(cache, large), 5);
	folio_set_private(large);
	KUNIT_EXPECT_EQ(test, folio_refs_when_idle(cache, large), 6);
	folio_clear_private(large);
	folio_put(small);
	folio_put(large);
}

/* Charge @src, move its state to a fresh folio of the same order. */
static void migrate_test_flags_charge(struct kunit *test, unsigned int order)
{
	struct folio *src = folio_alloc(GFP_KERNEL | __GFP_NOWARN, order);
	struct folio *dst = folio_alloc(GFP_KERNEL | __GFP_NOWARN, order);
	struct mem_cgroup *memcg;

	if (!src || !dst) {
		if (src)
			folio_put(src);
		if (dst)
			folio_put(dst);
		kunit_skip(test, "no free folios");
	}
	KUNIT_ASSERT_EQ(test, mem_cgroup_charge(src, NULL, GFP_KERNEL), 0);
	memcg = folio_memcg(src);
	if (memcg) {
		folio_lock(src);
		folio_lock(dst);
		folio_migrate_flags(dst, src);
		KUNIT_EXPECT_PTR_EQ(test, folio_memcg(dst), memcg);
		/* A large src keeps its own charge until it is freed. */
		KUNIT_EXPECT_PTR_EQ(test, folio_memcg(src),
				    order ? memcg : NULL);
		folio_unlock(dst);
		folio_unlock(src);
	}
	/* The last put uncharges whichever is still charged. */
	folio_put(src);
	folio_put(dst);
	if (!memcg)
		kunit_skip(test, "memory cgroup disabled");
}

/* An order-0 folio's charge moves; a large folio's is doubled. */
static void migrate_test_flags_move_charge(struct kunit *test)
{
	migrate_test_flags_charge(test, 0);
	migrate_test_flags_charge(test, 2);
}

static struct kunit_case migrate_mapping_cases[] = {
	KUNIT_CASE(migrate_test_refs_when_idle),
	KUNIT_CASE(migrate_test_flags_move_charge),
	{}
};

static struct kunit_suite migrate_mapping_suite = {
	.name = "migrate_mapping",
	.test_cases = migrate_mapping_cases,
};

kunit_test_suite(migrate_mapping_suite);

#endif /* _MM_MIGRATE_MAPPING_TEST_H */
