/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit cases for mm/migrate_mapping.c: the reference count an idle
 * folio has, which the move freezes at.  Included at the end of that
 * file when CONFIG_MIGRATE_KUNIT_TEST is set.
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

static struct kunit_case migrate_mapping_cases[] = {
	KUNIT_CASE(migrate_test_refs_when_idle),
	{}
};

static struct kunit_suite migrate_mapping_suite = {
	.name = "migrate_mapping",
	.test_cases = migrate_mapping_cases,
};

kunit_test_suite(migrate_mapping_suite);

#endif /* _MM_MIGRATE_MAPPING_TEST_H */
