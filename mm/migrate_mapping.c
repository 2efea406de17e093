// SPDX-License-Identifier: GPL-2.0
/*
 * Page migration, address-space side.
 *
 * The helpers a ->migrate_folio() implementation is built from: hand the
 * page-cache (or swap-cache) slots of @src over to @dst, carry the folio
 * flags and owner state over, copy the contents, and rehome buffer heads.
 *
 * Names follow the key at the top of mm/migrate.c.  Every function here
 * is called with both @src and @dst locked, @src unmapped (migration
 * entries in its place) and @dst not yet visible to anybody else.
 */
#include <linux/mm.h>
#include <linux/migrate.h>
#include <linux/export.h>
#include <linux/pagemap.h>
#include <linux/buffer_head.h>
#include <linux/swap.h>
#include <linux/ksm.h>
#include <linux/memcontrol.h>
#include <linux/page_idle.h>
#include <linux/page_owner.h>
#include <linux/memory-tiers.h>
#include <linux/sched/sysctl.h>
#include <linux/writeback.h>
#include <linux/backing-dev.h>

#include "internal.h"
#include "migrate_copy.h"

/*
 * References @src holds when nobody but the migration engine uses it:
 * the isolation reference, plus one per page held by the page or swap
 * cache, plus one for attached private data.
 */
static int folio_refs_when_idle(struct address_space *mapping,
				struct folio *src)
{
	if (!mapping)
		return 1;
	return 1 + folio_nr_pages(src) + folio_test_private(src);
}

/* Give @dst the identity of @src: index, mapping and swap-backing. */
static void folio_take_identity(struct folio *dst, struct folio *src)
{
	dst->index = src->index;
	dst->mapping = src->mapping;
	if (folio_test_swapbacked(src))
		__folio_set_swapbacked(dst);
}

static void lruvec_stat_shift(struct lruvec *from, struct lruvec *to,
			      enum node_stat_item item, long nr)
{
	__mod_lruvec_state(from, item, -nr);
	__mod_lruvec_state(to, item, nr);
}

/*
 * The cache entries of @src now point at @dst.  If that crossed a zone,
 * move the cache counters along, the huge-page ones (ShmemHugePages,
 * FileHugePages) included; the mapped and anon counters follow the rmap
 * changes by themselves.
 */
static void cache_stats_follow(struct address_space *mapping,
			       struct folio *dst, struct folio *src,
			       bool dirty)
{
	struct zone *old_zone = folio_zone(src);
	struct zone *new_zone = folio_zone(dst);
	long nr = folio_nr_pages(src);
	struct lruvec *old_lv, *new_lv;

	lockdep_assert_irqs_disabled();
	if (old_zone == new_zone)
		return;

	old_lv = mem_cgroup_lruvec(folio_memcg(src), old_zone->zone_pgdat);
	new_lv = mem_cgroup_lruvec(folio_memcg(src), new_zone->zone_pgdat);
	lruvec_stat_shift(old_lv, new_lv, NR_FILE_PAGES, nr);
	if (folio_test_swapcache(src)) {
#ifdef CONFIG_SWAP
		lruvec_stat_shift(old_lv, new_lv, NR_SWAPCACHE, nr);
#endif
	} else if (folio_test_swapbacked(src)) {
		lruvec_stat_shift(old_lv, new_lv, NR_SHMEM, nr);
		if (folio_test_pmd_mappable(src))
			lruvec_stat_shift(old_lv, new_lv, NR_SHMEM_THPS, nr);
	} else if (folio_test_pmd_mappable(src)) {
		lruvec_stat_shift(old_lv, new_lv, NR_FILE_THPS, nr);
	}
	if (!dirty || !mapping_can_writeback(mapping))
		return;
	lruvec_stat_shift(old_lv, new_lv, NR_FILE_DIRTY, nr);
	__mod_zone_page_state(old_zone, NR_ZONE_WRITE_PENDING, -nr);
	__mod_zone_page_state(new_zone, NR_ZONE_WRITE_PENDING, nr);
}

/*
 * Swap the cache slots of @src over to @dst under the xarray lock, with
 * the reference count of @src frozen at @idle_refs so that nobody can
 * find or pin @src meanwhile.
 */
static int folio_replace_in_cache(struct address_space *mapping,
				  struct folio *dst, struct folio *src,
				  int idle_refs)
{
	XA_STATE(xas, &mapping->i_pages, folio_index(src));
	long nr = folio_nr_pages(src);
	long slots = 1, i;
	bool dirty;

	xas_lock_irq(&xas);
	if (!folio_ref_freeze(src, idle_refs)) {
		xas_unlock_irq(&xas);
		return -EAGAIN;
	}

	/* Frozen: from here on the move cannot fail. */
	folio_take_identity(dst, src);
	folio_ref_add(dst, nr);
	if (folio_test_swapcache(src)) {
		folio_set_swapcache(dst);
		for (i = 0; i < nr; i++)
			set_page_private(folio_page(dst, i),
					 page_private(folio_page(src, i)));
		/* The swap cache keeps one slot per page. */
		slots = nr;
	}

	/* Hand over dirtiness before @dst becomes visible. */
	dirty = folio_test_clear_dirty(src);
	if (dirty)
		folio_set_dirty(dst);

	for (i = 0; i < slots; i++, xas_next(&xas))
		xas_store(&xas, dst);

	/* The cache's references to @src go; the engine's stays. */
	folio_ref_unfreeze(src, idle_refs - nr);
	xas_unlock(&xas);

	/* Interrupts stay off so that the counter moves are not preempted. */
	cache_stats_follow(mapping, dst, src, dirty);
	local_irq_enable();
	return MIGRATEPAGE_SUCCESS;
}

/**
 * folio_migrate_mapping - Move the cache identity of a folio.
 * @mapping: The address space of @folio, or NULL for anonymous memory
 *	outside the swap cache.
 * @newfolio: The destination folio, locked and not yet visible.
 * @folio: The source folio, locked and unmapped.
 * @extra_count: References the caller holds beyond the usual ones.
 *
 * Succeeds only if @folio has exactly the references an unused folio
 * has (one for the caller's isolation, one per page in the cache, one
 * for private data) plus @extra_count.  For a cached folio the check is
 * made with the reference count frozen under the xarray lock, and the
 * cache slots then point at @newfolio.
 *
 * Context: Process context.  Takes and releases the i_pages lock.
 * Return: MIGRATEPAGE_SUCCESS, or -EAGAIN if @folio has other users.
 */
int folio_migrate_mapping(struct address_space *mapping,
			  struct folio *newfolio, struct folio *folio,
			  int extra_count)
{
	int idle_refs = folio_refs_when_idle(mapping, folio) + extra_count;

	VM_BUG_ON_FOLIO(!folio_test_locked(folio), folio);
	if (mapping)
		return folio_replace_in_cache(mapping, newfolio, folio,
					      idle_refs);

	/* Anonymous: no slot to guard, all references are visible. */
	if (folio_ref_count(folio) != idle_refs)
		return -EAGAIN;
	folio_take_identity(newfolio, folio);
	return MIGRATEPAGE_SUCCESS;
}
EXPORT_SYMBOL(folio_migrate_mapping);

/**
 * migrate_huge_page_move_mapping - Move a hugetlbfs folio's cache slot.
 * @mapping: The hugetlbfs address space.
 * @dst: The destination hugetlb folio, locked.
 * @src: The source hugetlb folio, locked and unmapped.
 *
 * Same reference rule as folio_migrate_mapping(), with a hugetlb folio
 * occupying a single cache slot.
 *
 * Context: Process context.  Takes and releases the i_pages lock.
 * Return: MIGRATEPAGE_SUCCESS, or -EAGAIN if @src has other users.
 */
int migrate_huge_page_move_mapping(struct address_space *mapping,
				   struct folio *dst, struct folio *src)
{
	XA_STATE(xas, &mapping->i_pages, folio_index(src));
	int idle_refs = 2 + folio_has_private(src);
	int rc = -EAGAIN;

	xas_lock_irq(&xas);
	if (folio_ref_freeze(src, idle_refs)) {
		dst->mapping = src->mapping;
		dst->index = src->index;
		folio_get(dst);
		xas_store(&xas, dst);
		/* Drop the cache's reference to @src. */
		folio_ref_unfreeze(src, idle_refs - 1);
		rc = MIGRATEPAGE_SUCCESS;
	}
	xas_unlock_irq(&xas);
	return rc;
}

/*
 * Plain page flags that simply follow the contents.  PG_mappedtodisk
 * doubles as PG_anon_exclusive: that one travels in migration entries,
 * but an unmapped head page of an anon THP may still carry it.  Dirty
 * here covers the folios folio_migrate_mapping() did not handle.
 */
static const enum pageflags migrate_carried_flags[] = {
	PG_error, PG_referenced, PG_workingset, PG_checked,
	PG_mappedtodisk, PG_dirty,
};

static void folio_carry_lru_state(struct folio *dst, struct folio *src)
{
	if (folio_test_clear_active(src)) {
		VM_BUG_ON_FOLIO(folio_test_unevictable(src), src);
		folio_set_active(dst);
	} else if (folio_test_clear_unevictable(src)) {
		folio_set_unevictable(dst);
	}
}

/*
 * NUMA balancing keeps the last cpupid in the folio so that a freshly
 * moved folio is not bounced straight back.  In memory-tiering mode the
 * field is an access time on the slow tier instead, meaningless once the
 * folio changes tier.
 */
static void folio_carry_cpupid(struct folio *dst, struct folio *src)
{
	int last = page_cpupid_xchg_last(&src->page, -1);

	if ((sysctl_numa_balancing_mode & NUMA_BALANCING_MEMORY_TIERING) &&
	    node_is_toptier(folio_nid(src)) != node_is_toptier(folio_nid(dst)))
		last = -1;
	page_cpupid_xchg_last(&dst->page, last);
}

/**
 * folio_migrate_copy - Copy contents and state from @folio to @newfolio.
 * @newfolio: The destination folio, locked.
 * @folio: The source folio, locked and unmapped.
 *
 * A large folio may be copied by several CPUs: see migrate_copy_folios().
 *
 * Context: Process context, may sleep (large folios copy page by page).
 * Return: Nothing.
 */
void folio_migrate_copy(struct folio *newfolio, struct folio *folio)
{
	migrate_copy_folios(newfolio, folio, folio_nr_pages(folio));
	folio_migrate_flags(newfolio, folio);
}
EXPORT_SYMBOL(folio_migrate_copy);

/*
 * src is about to be freed: it gives up its swap-cache and private
 * state, and the KSM stable node moves to dst first, because KSM's
 * get_ksm_page() relies on that order with PG_swapcache.
 */
static void folio_shed_cache_state(struct folio *dst, struct folio *src)
{
	folio_migrate_ksm(dst, src);
	if (folio_test_swapcache(src))
		folio_clear_swapcache(src);
	folio_clear_private(src);
	/* Hugetlb keeps its own flags in ->private. */
	if (!folio_test_hugetlb(src))
		src->private = NULL;
}

/*
 * Somebody may already wait for I/O on dst: wake them.  Ending the
 * writeback clears PG_reclaim, alias PG_readahead, so set that after.
 */
static void folio_settle_io_bits(struct folio *dst, struct folio *src)
{
	if (folio_test_writeback(dst))
		folio_end_writeback(dst);
	if (folio_test_readahead(src))
		folio_set_readahead(dst);
}

/**
 * folio_migrate_flags - Carry folio state from @folio to @newfolio.
 * @newfolio: The destination folio, locked.
 * @folio: The source folio, locked; its cache identity already moved.
 *
 * Transfers page flags, LRU state, young/idle tracking, NUMA cpupid,
 * page owner, KSM stable node and memcg charge.  @folio is left without
 * swap-cache or private state, ready to be freed; an order-0 @folio
 * also without its charge, which moved rather than doubled.
 *
 * Context: Process context.  Both folios locked.
 * Return: Nothing.
 */
void folio_migrate_flags(struct folio *newfolio, struct folio *folio)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(migrate_carried_flags); i++)
		if (test_bit(migrate_carried_flags[i], &folio->flags))
			set_bit(migrate_carried_flags[i], &newfolio->flags);
	if (folio_test_uptodate(folio))
		folio_mark_uptodate(newfolio);
	folio_carry_lru_state(newfolio, folio);
	if (folio_test_young(folio))
		folio_set_young(newfolio);
	if (folio_test_idle(folio))
		folio_set_idle(newfolio);
	folio_carry_cpupid(newfolio, folio);
	folio_copy_owner(newfolio, folio);
	/* Hugetlb charges move with the hugetlb state, not here. */
	if (!folio_test_hugetlb(folio))
		mem_cgroup_migrate_charge(folio, newfolio);

	folio_shed_cache_state(newfolio, folio);
	folio_settle_io_bits(newfolio, folio);
}
EXPORT_SYMBOL(folio_migrate_flags);

/* Contents and state, or only the state when a DMA engine copies. */
static void folio_migrate_contents(struct folio *dst, struct folio *src,
				   enum migrate_mode mode)
{
	if (mode == MIGRATE_SYNC_NO_COPY)
		folio_migrate_flags(dst, src);
	else
		folio_migrate_copy(dst, src);
}

/**
 * migrate_folio_extra - Migrate a folio that holds extra references.
 * @mapping: The address space of @src, or NULL.
 * @dst: The destination folio, locked.
 * @src: The source folio, locked, unmapped, not under writeback.
 * @mode: The migration mode.
 * @extra_count: References the caller holds beyond the usual ones.
 *
 * Context: Process context, may sleep.  Both folios locked.
 * Return: MIGRATEPAGE_SUCCESS, -EAGAIN (see folio_migrate_mapping()), or
 *	-EBUSY for a folio still under writeback.
 */
int migrate_folio_extra(struct address_space *mapping, struct folio *dst,
			struct folio *src, enum migrate_mode mode,
			int extra_count)
{
	int rc;

	/*
	 * The engine settles writeback before it gets here.  Moving a folio
	 * under I/O would let the I/O end on a freed page, so this stays on
	 * in every kernel, but as a refused move rather than a crash.
	 */
	if (WARN_ON_ONCE(folio_test_writeback(src)))
		return -EBUSY;
	rc = folio_migrate_mapping(mapping, dst, src, extra_count);
	if (rc != MIGRATEPAGE_SUCCESS)
		return rc;
	folio_migrate_contents(dst, src, mode);
	return MIGRATEPAGE_SUCCESS;
}

/**
 * migrate_folio - Migrate a folio without private data.
 * @mapping: The address space of @src, or NULL.
 * @dst: The destination folio, locked.
 * @src: The source folio, locked and unmapped.
 * @mode: The migration mode.
 *
 * The generic ->migrate_folio() for folios that do not use PG_private.
 *
 * Context: Process context, may sleep.  Both folios locked.
 * Return: MIGRATEPAGE_SUCCESS or -EAGAIN if @src is still in use.
 */
int migrate_folio(struct address_space *mapping, struct folio *dst,
		  struct folio *src, enum migrate_mode mode)
{
	return migrate_folio_extra(mapping, dst, src, mode, 0);
}
EXPORT_SYMBOL(migrate_folio);

/**
 * filemap_migrate_folio - Migrate a folio whose private data moves along.
 * @mapping: The address space of @src.
 * @dst: The destination folio, locked.
 * @src: The source folio, locked and unmapped.
 * @mode: The migration mode.
 *
 * For filesystems that keep an opaque pointer in folio->private and
 * never look at the folio through it without the folio lock.
 *
 * Context: Process context, may sleep.  Both folios locked.
 * Return: MIGRATEPAGE_SUCCESS or -EAGAIN if @src is still in use.
 */
int filemap_migrate_folio(struct address_space *mapping,
			  struct folio *dst, struct folio *src,
			  enum migrate_mode mode)
{
	int rc = folio_migrate_mapping(mapping, dst, src, 0);

	if (rc != MIGRATEPAGE_SUCCESS)
		return rc;
	if (folio_get_private(src))
		folio_attach_private(dst, folio_detach_private(src));
	folio_migrate_contents(dst, src, mode);
	return MIGRATEPAGE_SUCCESS;
}
EXPORT_SYMBOL_GPL(filemap_migrate_folio);

#ifdef CONFIG_BLOCK
/*
 * The buffer heads of a folio form a ring through ->b_this_page,
 * starting at @head.
 */

/* Unlock the buffers of the ring from @head up to, not including, @stop. */
static void bh_ring_unlock(struct buffer_head *head, struct buffer_head *stop)
{
	struct buffer_head *bh = head;

	do {
		if (bh == stop)
			return;
		unlock_buffer(bh);
		bh = bh->b_this_page;
	} while (bh != head);
}

/* Lock every buffer of the ring; MIGRATE_ASYNC never sleeps for one. */
static bool bh_ring_lock(struct buffer_head *head, enum migrate_mode mode)
{
	struct buffer_head *bh = head;

	do {
		if (mode != MIGRATE_ASYNC) {
			lock_buffer(bh);
		} else if (!trylock_buffer(bh)) {
			bh_ring_unlock(head, bh);
			return false;
		}
		bh = bh->b_this_page;
	} while (bh != head);
	return true;
}

static bool bh_ring_referenced(struct buffer_head *head)
{
	struct buffer_head *bh = head;

	do {
		if (atomic_read(&bh->b_count))
			return true;
		bh = bh->b_this_page;
	} while (bh != head);
	return false;
}

/*
 * For block-device style mappings, whose buffer heads are looked up
 * under @mapping->private_lock: make sure nobody holds a reference to
 * one.  Per-CPU bh LRUs often do, so they are emptied once.  Returns
 * with private_lock held either way; while it is, no new lookup can
 * take a reference, so true stays true until the caller unlocks.
 */
static bool bh_ring_claim(struct address_space *mapping,
			  struct buffer_head *head)
	__acquires(&mapping->private_lock)
{
	spin_lock(&mapping->private_lock);
	if (!bh_ring_referenced(head))
		return true;
	spin_unlock(&mapping->private_lock);

	invalidate_bh_lrus();

	spin_lock(&mapping->private_lock);
	return !bh_ring_referenced(head);
}

/* Point the buffers and the private data at @dst, then copy over. */
static void bh_ring_rehome(struct folio *dst, struct folio *src,
			   struct buffer_head *head, enum migrate_mode mode)
{
	struct buffer_head *bh = head;

	folio_attach_private(dst, folio_detach_private(src));
	do {
		set_bh_page(bh, &dst->page, bh_offset(bh));
		bh = bh->b_this_page;
	} while (bh != head);
	folio_migrate_contents(dst, src, mode);
}

/* Move the cache slot and the buffers of @src, its buffers locked. */
static int bh_ring_move(struct address_space *mapping, struct folio *dst,
			struct folio *src, struct buffer_head *head,
			enum migrate_mode mode)
{
	int rc = folio_migrate_mapping(mapping, dst, src, 0);

	if (rc == MIGRATEPAGE_SUCCESS)
		bh_ring_rehome(dst, src, head, mode);
	return rc;
}

/* The same, once no buffer head of @src is referenced. */
static int bh_ring_move_unreferenced(struct address_space *mapping,
				     struct folio *dst, struct folio *src,
				     struct buffer_head *head,
				     enum migrate_mode mode)
{
	int rc = -EAGAIN;

	if (bh_ring_claim(mapping, head))
		rc = bh_ring_move(mapping, dst, src, head, mode);
	spin_unlock(&mapping->private_lock);
	return rc;
}

static int buffer_migrate_common(struct address_space *mapping,
				 struct folio *dst, struct folio *src,
				 enum migrate_mode mode, bool check_refs)
{
	struct buffer_head *head = folio_buffers(src);
	int rc;

	if (!head)
		return migrate_folio(mapping, dst, src, mode);

	/* Cheap test before locking buffers; the real one is the freeze. */
	if (folio_ref_count(src) != folio_refs_when_idle(mapping, src))
		return -EAGAIN;
	if (!bh_ring_lock(head, mode))
		return -EAGAIN;

	if (check_refs)
		rc = bh_ring_move_unreferenced(mapping, dst, src, head, mode);
	else
		rc = bh_ring_move(mapping, dst, src, head, mode);
	bh_ring_unlock(head, NULL);
	return rc;
}

/**
 * buffer_migrate_folio - Migrate a folio with buffer heads.
 * @mapping: The address space of @src.
 * @dst: The destination folio, locked.
 * @src: The source folio, locked and unmapped.
 * @mode: The migration mode.
 *
 * Only for filesystems that touch the buffer heads of a folio under the
 * folio lock alone, so that no buffer reference can exist here.  Use
 * buffer_migrate_folio_norefs() otherwise.
 *
 * Context: Process context; sleeps on buffer locks unless MIGRATE_ASYNC.
 * Return: MIGRATEPAGE_SUCCESS, or -EAGAIN if @src or a buffer is busy.
 */
int buffer_migrate_folio(struct address_space *mapping,
			 struct folio *dst, struct folio *src,
			 enum migrate_mode mode)
{
	return buffer_migrate_common(mapping, dst, src, mode, false);
}
EXPORT_SYMBOL(buffer_migrate_folio);

/**
 * buffer_migrate_folio_norefs - Migrate a folio with referenced buffers.
 * @mapping: The address space of @src.
 * @dst: The destination folio, locked.
 * @src: The source folio, locked and unmapped.
 * @mode: The migration mode.
 *
 * Like buffer_migrate_folio(), but first checks under
 * @mapping->private_lock that no buffer head has a reference, as needed
 * where buffer heads are looked up directly (block device mappings).
 *
 * Context: Process context; sleeps on buffer locks unless MIGRATE_ASYNC.
 * Return: MIGRATEPAGE_SUCCESS, or -EAGAIN if @src or a buffer is busy.
 */
int buffer_migrate_folio_norefs(struct address_space *mapping,
				struct folio *dst, struct folio *src,
				enum migrate_mode mode)
{
	return buffer_migrate_common(mapping, dst, src, mode, true);
}
#endif /* CONFIG_BLOCK */

#ifdef CONFIG_MIGRATE_KUNIT_TEST
#include "migrate_mapping-test.h"
#endif
