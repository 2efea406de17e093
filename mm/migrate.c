// SPDX-License-Identifier: GPL-2.0
/*
 * Page migration engine: move the contents of isolated folios to newly
 * allocated ones while every user keeps its view of them.
 *
 * Naming key (all mm/migrate*.c files):
 *   src     The folio being moved.  The caller isolated it and holds one
 *           reference on it, "the isolation reference".
 *   dst     The folio src moves to, from the caller's new_page_t.
 *   folio   Either of the two, where the role does not matter.
 *   mode    enum migrate_mode, how long we may sleep: ASYNC never,
 *           SYNC_LIGHT on locks, SYNC also on writeback, SYNC_NO_COPY as
 *           SYNC but the caller copies the contents itself.
 *   reason  enum migrate_reason, who asked (compaction, NUMA balancing,
 *           demotion, ...).  It changes accounting, not the algorithm.
 *   pass    One walk over the folios still to move.  A transient failure
 *           (-EAGAIN) is retried on the next pass.
 *   batch   The folios locked and unmapped together, between one TLB
 *           flush point and the next.
 *
 * Each batch goes through the same phases:
 *
 *   lock src, settle writeback, unmap to migration entries (whole batch,
 *   TLB flushes deferred) -> one TLB flush -> move every mapping
 *   (refcount frozen on the cache slot) -> copy the contents of the whole
 *   batch (mm/migrate_copy.c, on several CPUs if large) -> flags, restore
 *   ptes, unlock -> release src
 *
 * A batch is at most one chunk of the caller's list.  MIGRATE_ASYNC and
 * the first passes of the sleeping modes, which only try, build batches
 * of many folios; later passes move one folio at a time and may sleep.
 *
 * Results of the per-folio steps (return-code rules):
 *   MIGRATEPAGE_SUCCESS  src moved (or freed under us) and released.
 *   -EAGAIN              transient: retried, a failure after the last pass.
 *   -ENOMEM              no dst: a large src is split and its pieces
 *                        retried, otherwise the whole call stops.
 *   -ENOSYS              this kind of folio cannot move: a large src is
 *                        split, otherwise a permanent failure.
 *   anything else        permanent failure: src goes back to the caller.
 * A src that does not move is given back unharmed, contents untouched.
 */
#include <linux/migrate.h>
#include <linux/export.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/pagemap.h>
#include <linux/buffer_head.h>
#include <linux/mm_inline.h>
#include <linux/ksm.h>
#include <linux/rmap.h>
#include <linux/writeback.h>
#include <linux/backing-dev.h>
#include <linux/hugetlb.h>
#include <linux/hugetlb_cgroup.h>
#include <linux/gfp.h>
#include <linux/memremap.h>
#include <linux/balloon_compaction.h>
#include <linux/page_owner.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/mm.h>

#include <asm/tlbflush.h>

#include <trace/events/migrate.h>

#include "internal.h"
#include "migrate_copy.h"

/* Passes over a list before the remaining folios count as failed. */
#define MIGRATE_MAX_PASSES		10
/*
 * MIGRATE_SYNC callers may wait longer for transient references: up to
 * this many passes over a chunk, and no more extra passes in all of one
 * call than one chunk may have, so that a call over many chunks with a
 * stubborn folio in each does not wait in each.
 */
#define MIGRATE_SYNC_MAX_PASSES		30
#define MIGRATE_PATIENT_PASSES		(MIGRATE_SYNC_MAX_PASSES - MIGRATE_MAX_PASSES)
/*
 * From this pass on the sleeping modes wait for folio locks (and SYNC
 * for writeback): every other folio has had its chance by then.  It is
 * also where a patient caller drains the per-CPU LRU caches, once.
 */
#define MIGRATE_FORCE_PASS		3
/* Sleep between the extra MIGRATE_SYNC passes. */
#define MIGRATE_BACKOFF_JIFFIES		1

/* Base pages taken off the caller's list at a time. */
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
#define MIGRATE_LIST_CHUNK		HPAGE_PMD_NR
#else
#define MIGRATE_LIST_CHUNK		512
#endif
/*
 * The same for folios of MIGRATE_LIST_CHUNK pages or more, as for
 * hugetlb batches: their copy is the move, and parallel copy shares out
 * a batch, so one large folio per batch leaves helpers little to share.
 */
#define MIGRATE_LARGE_CHUNK		(SZ_16M >> PAGE_SHIFT)

/* Engine-internal step results, next to MIGRATEPAGE_* and -errno. */
enum {
	/* src locked and unmapped, dst locked: ready for the move phase. */
	MIGRATE_STEP_UNMAPPED = MIGRATEPAGE_UNMAP,
	/* Would sleep with other folios of the batch locked: end it first. */
	MIGRATE_STEP_CLOSE_BATCH,
};

/* Counters reported to vmstat and trace_mm_migrate_pages(). */
struct migrate_stats {
	int nr_succeeded;	/* base pages moved */
	int nr_failed_pages;	/* base pages tried and not moved */
	int nr_thp_succeeded;
	int nr_thp_failed;
	int nr_thp_split;
};

/* One migrate_pages() call. */
struct migrate_ctx {
	new_page_t *get_dst;
	free_page_t *put_dst;
	unsigned long private;		/* cookie for get_dst/put_dst */
	enum migrate_mode mode;
	enum migrate_reason reason;
	unsigned int pass;
	/*
	 * Set once the main passes are over and the pieces of split large
	 * folios move: a piece that fails counts in its folio's failure,
	 * which is booked already, not as a folio of its own.
	 */
	bool moving_pieces;
	bool drained_all;		/* lru_add_drain_all() done this call */
	unsigned int patience;		/* extra passes left for this call */
	bool tlb_unflushed;		/* ptes cleared since the last flush */
	bool batch_of_one;		/* the folio being unmapped is alone */
	int nr_failed;			/* folios not moved: the return value */
	struct list_head *failed;	/* permanent failures, for the caller */
	struct list_head split;		/* pieces of split large folios */
	struct migrate_stats stats;
};

/* What a src was before the attempt; src may be gone afterwards. */
struct folio_tally {
	long nr_pages;
	bool large;
	bool thp;
};

/* One pass of some kind of folio over @from; leftovers go to @again. */
typedef int migrate_pass_t(struct migrate_ctx *ctx, struct list_head *from,
			   struct list_head *again);

static void tally_take(struct folio_tally *t, struct folio *src)
{
	t->nr_pages = folio_nr_pages(src);
	t->large = folio_test_large(src);
	t->thp = t->large && !folio_test_hugetlb(src) &&
		 folio_test_pmd_mappable(src);
}

static struct folio *dst_alloc(struct migrate_ctx *ctx, struct folio *src)
{
	struct page *page = ctx->get_dst(&src->page, ctx->private);

	return page ? page_folio(page) : NULL;
}

/* Give an unused dst back to whoever provided it. */
static void dst_release(struct migrate_ctx *ctx, struct folio *dst)
{
	if (ctx->put_dst)
		ctx->put_dst(&dst->page, ctx->private);
	else
		folio_put(dst);
}

/*
 * Between the unmap and move phases dst->private carries what the move
 * phase needs about src: the anon_vma reference taken for it (or NULL)
 * and the SRC_* bits below.  dst is locked and known to nobody else, so
 * the field is ours; an anon_vma pointer is word aligned, which leaves
 * the low bits free.
 */
#define SRC_WAS_MAPPED		1UL	/* its ptes are migration entries */
#define SRC_WAS_MLOCKED		2UL	/* mlocked before the unmap */
#define SRC_STATE_MASK		(SRC_WAS_MAPPED | SRC_WAS_MLOCKED)

static void dst_stash(struct folio *dst, struct anon_vma *anon_vma,
		      unsigned long src_state)
{
	BUILD_BUG_ON(__alignof__(struct anon_vma) <= SRC_STATE_MASK);
	dst->private = (void *)((unsigned long)anon_vma | src_state);
}

static struct anon_vma *dst_unstash(struct folio *dst,
				    unsigned long *src_state)
{
	unsigned long word = (unsigned long)dst->private;

	dst->private = NULL;
	*src_state = word & SRC_STATE_MASK;
	return (struct anon_vma *)(word & ~SRC_STATE_MASK);
}

/* src is done with: drop the isolation accounting and reference. */
static void src_retire(struct migrate_ctx *ctx, struct folio *src)
{
	/*
	 * Non-LRU movable pages were never counted as isolated; for
	 * demotion vmscan keeps the isolation count itself.
	 */
	if (likely(!__folio_test_movable(src)) && ctx->reason != MR_DEMOTION)
		node_stat_mod_folio(src, NR_ISOLATED_ANON +
				    folio_is_file_lru(src),
				    -folio_nr_pages(src));
	/* memory_failure() drops it in page_handle_poison() instead. */
	if (ctx->reason != MR_MEMORY_FAILURE)
		folio_put(src);
}

/* Only the isolation reference is left: the owner let go of src. */
static void src_freed_under_us(struct migrate_ctx *ctx, struct folio *src)
{
	folio_clear_active(src);
	folio_clear_unevictable(src);
	/* free_pages_prepare() clears PG_isolated of movable pages. */
	list_del(&src->lru);
	src_retire(ctx, src);
}

/**
 * isolate_movable_page - Take a non-LRU movable page for migration.
 * @page: The page, which may be freed or reused under us.
 * @mode: The isolate_mode_t the compactor works in.
 *
 * Asks the page's owner, through movable_operations->isolate_page(),
 * to hand the page over.  On success PG_isolated is set and the caller
 * owns one reference and page->lru.
 *
 * Context: Any context that may take the page lock by trylock.
 * Return: 0 on success, -EBUSY if the page is not movable or busy.
 */
int isolate_movable_page(struct page *page, isolate_mode_t mode)
{
	const struct movable_operations *mops;

	/* A page on its way to or from the allocator has no owner to ask. */
	if (unlikely(!get_page_unless_zero(page)))
		return -EBUSY;

	/*
	 * Test before locking: the owner of a freshly allocated page may
	 * rely on nobody else touching its PG_locked.
	 */
	if (unlikely(!__PageMovable(page)) || unlikely(!trylock_page(page)))
		goto out_put;

	/* Under the page lock: not released, not isolated by somebody else. */
	if (PageMovable(page) && !PageIsolated(page)) {
		mops = page_movable_ops(page);
		if (mops->isolate_page(page, mode)) {
			/* PG_isolated belongs to the VM, not the driver. */
			WARN_ON_ONCE(PageIsolated(page));
			SetPageIsolated(page);
			unlock_page(page);
			return 0;
		}
	}
	unlock_page(page);
out_put:
	put_page(page);
	return -EBUSY;
}

/* Hand an isolated non-LRU movable page back to its owner. */
static void movable_page_give_back(struct page *page)
{
	VM_BUG_ON_PAGE(!PageIsolated(page), page);

	lock_page(page);
	/* The owner may have released the page while it was isolated. */
	if (PageMovable(page))
		page_movable_ops(page)->putback_page(page);
	ClearPageIsolated(page);
	unlock_page(page);
	put_page(page);
}

/**
 * putback_movable_pages - Return isolated pages to where they came from.
 * @l: A list of pages isolated from the LRU, from hugetlb or from a
 *	non-LRU movable owner, linked through page->lru.
 *
 * Used for whatever migrate_pages() leaves on its list, and by callers
 * that isolated pages and then gave up.  Empties @l.
 *
 * Context: Process context, may sleep (takes page locks).
 * Return: Nothing.
 */
void putback_movable_pages(struct list_head *l)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, l, lru) {
		struct folio *folio = page_folio(page);

		if (unlikely(folio_test_hugetlb(folio))) {
			folio_putback_hugetlb(page);
			continue;
		}
		list_del(&folio->lru);
		/* LRU folios never carry PAGE_MAPPING_MOVABLE. */
		if (unlikely(__folio_test_movable(folio))) {
			movable_page_give_back(page);
			continue;
		}
		node_stat_mod_folio(folio, NR_ISOLATED_ANON +
				    folio_is_file_lru(folio),
				    -folio_nr_pages(folio));
		folio_putback_lru(folio);
	}
}

/*
 * Start writeback of a dirty src whose filesystem cannot move dirty
 * folios.  This attempt is over whatever happens; a later pass may find
 * src clean.  ->writepage() unlocks src, so the migration entries are
 * removed before calling it.
 */
static int fallback_writeout(struct address_space *mapping,
			     struct folio *src)
{
	struct writeback_control wbc = {
		.for_reclaim = 1,
		.nr_to_write = 1,
		.range_end = LLONG_MAX,
		.sync_mode = WB_SYNC_NONE,
	};
	int rc;

	if (!mapping->a_ops->writepage)
		return -EINVAL;
	/* Not dirty any more: somebody else is writing it already. */
	if (folio_clear_dirty_for_io(src)) {
		remove_migration_ptes(src, src, false);
		rc = mapping->a_ops->writepage(&src->page, &wbc);
		/* Only AOP_WRITEPAGE_ACTIVATE leaves the folio locked. */
		if (rc != AOP_WRITEPAGE_ACTIVATE)
			folio_lock(src);
		if (rc < 0)
			return -EIO;
	}
	return -EAGAIN;
}

/* Move a page-cache src whose address space has no ->migrate_folio(). */
static int fallback_move(struct address_space *mapping, struct folio *dst,
			 struct folio *src, enum migrate_mode mode)
{
	bool full_sync = mode == MIGRATE_SYNC || mode == MIGRATE_SYNC_NO_COPY;

	if (folio_test_dirty(src))
		return full_sync ? fallback_writeout(mapping, src) : -EBUSY;

	/* Private data is the filesystem's business: it has to go. */
	if (!filemap_release_folio(src, GFP_KERNEL))
		return mode == MIGRATE_SYNC ? -EAGAIN : -EBUSY;
	return migrate_folio(mapping, dst, src, mode);
}

static int move_lru_contents(struct folio *dst, struct folio *src,
			     enum migrate_mode mode)
{
	struct address_space *mapping = folio_mapping(src);

	if (!mapping)
		return migrate_folio(NULL, dst, src, mode);
	/* The usual case: file systems and swap provide their own. */
	if (mapping->a_ops->migrate_folio)
		return mapping->a_ops->migrate_folio(mapping, dst, src, mode);
	return fallback_move(mapping, dst, src, mode);
}

static int move_movable_contents(struct folio *dst, struct folio *src,
				 enum migrate_mode mode)
{
	const struct movable_operations *mops;
	int rc;

	VM_BUG_ON_FOLIO(!folio_test_isolated(src), src);
	/* Released by its owner since isolation: nothing left to move. */
	if (!folio_test_movable(src)) {
		folio_clear_isolated(src);
		return MIGRATEPAGE_SUCCESS;
	}

	mops = page_movable_ops(&src->page);
	rc = mops->migrate_page(&dst->page, &src->page, mode);
	if (rc != MIGRATEPAGE_SUCCESS)
		return rc;
	WARN_ON_ONCE(!folio_test_isolated(src));
	/* Under the page lock, so no compactor picks src up again. */
	folio_clear_isolated(src);
	flush_dcache_folio(dst);
	return MIGRATEPAGE_SUCCESS;
}

/* An LRU src has moved: it lets go of its cache identity. */
static void move_lru_done(struct folio *dst, struct folio *src)
{
	/*
	 * A page-cache src must not reach the allocator with ->mapping
	 * set; anon keeps PAGE_MAPPING_ANON so statistics still see it.
	 */
	if (!folio_mapping_flags(src))
		src->mapping = NULL;
	if (likely(!folio_is_zone_device(dst)))
		flush_dcache_folio(dst);
}

/*
 * The move itself: cache identity, contents and state go from src to
 * dst.  src must have no ptes left (migration entries at most).
 */
static int move_src_to_dst(struct folio *dst, struct folio *src,
			   enum migrate_mode mode)
{
	int rc;

	VM_BUG_ON_FOLIO(!folio_test_locked(src), src);
	VM_BUG_ON_FOLIO(!folio_test_locked(dst), dst);

	if (unlikely(__folio_test_movable(src)))
		return move_movable_contents(dst, src, mode);

	rc = move_lru_contents(dst, src, mode);
	if (rc == MIGRATEPAGE_SUCCESS)
		move_lru_done(dst, src);
	return rc;
}

/*
 * Patience: MIGRATE_SYNC callers (move_pages(), mbind(), memory offline,
 * longterm pinning) would rather wait than fail, as long as waiting is
 * safe and nobody wants the task dead.  Compaction is best effort and
 * has other pages to try instead.
 */
static bool migrate_is_patient(const struct migrate_ctx *ctx)
{
	return ctx->mode == MIGRATE_SYNC &&
	       ctx->reason != MR_COMPACTION &&
	       !(current->flags & PF_MEMALLOC) &&
	       !fatal_signal_pending(current);
}

/*
 * The first passes of a sleeping caller only try: no waiting for folio
 * locks, writeback or buffer locks, and nothing fails for good there
 * but a pinned folio.  What is left is moved in the caller's own mode.
 */
static bool pass_only_tries(const struct migrate_ctx *ctx)
{
	return ctx->mode != MIGRATE_ASYNC && ctx->pass < MIGRATE_FORCE_PASS;
}

/*
 * Holding several folio locks is only safe while nothing sleeps for
 * another: other tasks take folio locks in orders we cannot know
 * (readahead, truncate) and I/O completion may need them.  So batches of
 * several folios are built only where no lock is waited for: in
 * MIGRATE_ASYNC, and in the passes that only try.  Later passes move one
 * folio at a time.  SYNC_NO_COPY callers copy for themselves and may
 * sleep doing it, so they never batch.
 */
static bool batch_may_grow(const struct migrate_ctx *ctx)
{
	if (ctx->mode == MIGRATE_SYNC_NO_COPY)
		return false;
	return ctx->mode == MIGRATE_ASYNC || pass_only_tries(ctx);
}

/* The mode the move phase works in: one that never sleeps in a batch. */
static enum migrate_mode move_mode(const struct migrate_ctx *ctx)
{
	return batch_may_grow(ctx) ? MIGRATE_ASYNC : ctx->mode;
}

/*
 * May we sleep for the lock of src?  Never in MIGRATE_ASYNC, and never
 * in direct compaction: readahead adds several locked folios before
 * submitting I/O and may be the task allocating here.
 */
static bool may_sleep_for_lock(const struct migrate_ctx *ctx)
{
	if (ctx->mode == MIGRATE_ASYNC || (current->flags & PF_MEMALLOC))
		return false;
	return ctx->pass >= MIGRATE_FORCE_PASS;
}

static int src_lock(struct migrate_ctx *ctx, struct folio *src,
		    bool batch_locked)
{
	if (folio_trylock(src))
		return 0;
	if (!may_sleep_for_lock(ctx))
		return -EAGAIN;
	if (batch_locked)
		return MIGRATE_STEP_CLOSE_BATCH;
	folio_lock(src);
	return 0;
}

/*
 * Only full synchronous migration waits for I/O to finish, and only once
 * the other folios have been tried.
 */
static int src_settle_writeback(struct migrate_ctx *ctx, struct folio *src,
				bool batch_locked)
{
	VM_BUG_ON_FOLIO(!folio_test_locked(src), src);

	if (!folio_test_writeback(src))
		return 0;
	if (ctx->mode != MIGRATE_SYNC && ctx->mode != MIGRATE_SYNC_NO_COPY)
		return -EBUSY;
	if (ctx->pass < MIGRATE_FORCE_PASS)
		return -EAGAIN;
	if (batch_locked)
		return MIGRATE_STEP_CLOSE_BATCH;
	folio_wait_writeback(src);
	return 0;
}

/*
 * A pin (FOLL_PIN) holds src for as long as its owner wants, typically
 * the life of an I/O buffer registration, so no pass can outwait it.
 * Large folios count pins exactly.  Each pin of a small folio is
 * GUP_PIN_COUNTING_BIAS references, more than its mappings leave over
 * with the few references an idle folio has.
 */
static bool src_pinned(struct folio *src)
{
	if (folio_test_large(src))
		return folio_maybe_dma_pinned(src);
	return folio_ref_count(src) - folio_mapcount(src) >=
	       GUP_PIN_COUNTING_BIAS;
}

/* What src_unmap() found when it succeeded. */
enum src_unmapped {
	SRC_HAD_NO_PTES,
	SRC_HAD_PTES,		/* now migration entries, to restore later */
};

/*
 * Turn the ptes of the locked src into migration entries.
 * Return: SRC_HAD_PTES, SRC_HAD_NO_PTES if there was nothing to unmap,
 * -EAGAIN if src stays mapped (the entries made so far are put back),
 * -EBUSY if it stays mapped because it is pinned: rmap refuses to unmap
 * a pinned exclusive anon page.
 */
static int src_unmap(struct migrate_ctx *ctx, struct folio *src,
		     struct anon_vma *anon_vma)
{
	if (!src->mapping) {
		/*
		 * A swap-cache folio read in but not mapped yet has no rmap
		 * to walk.  An orphaned folio with private data (see
		 * truncate_cleanup_folio()) cannot move; free the data so
		 * that it can be freed instead.
		 */
		if (folio_test_private(src)) {
			try_to_free_buffers(src);
			return -EAGAIN;
		}
		return folio_mapped(src) ? -EAGAIN : SRC_HAD_NO_PTES;
	}
	if (!folio_mapped(src))
		return SRC_HAD_NO_PTES;

	VM_BUG_ON_FOLIO(folio_test_anon(src) && !folio_test_ksm(src) &&
			!anon_vma, src);
	/*
	 * The TLB flush waits for the end of the batch: batch_flush_tlb().
	 * That flush is of whole TLBs; a folio alone flushes its own ptes.
	 */
	if (ctx->batch_of_one) {
		try_to_migrate(src, 0);
	} else {
		ctx->tlb_unflushed = true;
		try_to_migrate(src, TTU_BATCH_FLUSH);
	}
	if (!folio_mapped(src))
		return SRC_HAD_PTES;
	remove_migration_ptes(src, src, false);
	return src_pinned(src) ? -EBUSY : -EAGAIN;
}

/*
 * Unmap a locked LRU src.  On success dst is locked too and remembers
 * the anon_vma reference and whether src had ptes.
 */
static int unmap_locked_src(struct migrate_ctx *ctx, struct folio *src,
			    struct folio *dst)
{
	/* Unmapping munlocks src; dst's remap must redo the mlock. */
	unsigned long src_state = folio_test_mlocked(src) ? SRC_WAS_MLOCKED : 0;
	struct anon_vma *anon_vma = NULL;
	int rc = -EAGAIN;

	/*
	 * Unmapping may drop the last mapping of an anon src, and with it
	 * what keeps its anon_vma alive; the ptes must be restorable, so
	 * pin it.  No anon_vma means nothing maps src (nor can, while it is
	 * locked).  KSM folios have none of their own.
	 */
	if (folio_test_anon(src) && !folio_test_ksm(src))
		anon_vma = folio_get_anon_vma(src);

	/* dst is normally ours alone; a racing past user may still hold it. */
	if (likely(folio_trylock(dst))) {
		rc = src_unmap(ctx, src, anon_vma);
		if (rc < 0)
			folio_unlock(dst);
	}
	if (rc < 0) {
		if (anon_vma)
			put_anon_vma(anon_vma);
		return rc;
	}
	if (rc == SRC_HAD_PTES)
		src_state |= SRC_WAS_MAPPED;
	dst_stash(dst, anon_vma, src_state);
	return MIGRATE_STEP_UNMAPPED;
}

/*
 * Unmap phase for one LRU src: allocate dst, lock src, settle its
 * writeback, unmap it.  MIGRATE_STEP_UNMAPPED hands both folios, locked,
 * to the move phase through *@dstp.
 */
static int unmap_lru_folio(struct migrate_ctx *ctx, struct folio *src,
			   struct folio **dstp, bool batch_locked)
{
	struct folio *dst;
	int rc;

	if (folio_test_transhuge(src) && !thp_migration_supported())
		return -ENOSYS;
	if (folio_ref_count(src) == 1) {
		src_freed_under_us(ctx, src);
		return MIGRATEPAGE_SUCCESS;
	}
	if (src_pinned(src))
		return -EBUSY;

	dst = dst_alloc(ctx, src);
	if (!dst)
		return -ENOMEM;
	dst->private = NULL;

	rc = src_lock(ctx, src, batch_locked);
	if (rc)
		goto out_release_dst;
	rc = src_settle_writeback(ctx, src, batch_locked);
	if (!rc)
		rc = unmap_locked_src(ctx, src, dst);
	if (rc == MIGRATE_STEP_UNMAPPED) {
		*dstp = dst;
		return rc;
	}
	folio_unlock(src);
out_release_dst:
	dst_release(ctx, dst);
	return rc;
}

/*
 * The path of a non-LRU movable src (balloon, zsmalloc, ...): nothing to
 * unmap, the owner's ->migrate_page() does the move.
 */
static int migrate_movable_folio(struct migrate_ctx *ctx, struct folio *src)
{
	struct folio *dst;
	int rc;

	if (folio_ref_count(src) == 1) {
		src_freed_under_us(ctx, src);
		return MIGRATEPAGE_SUCCESS;
	}
	dst = dst_alloc(ctx, src);
	if (!dst)
		return -ENOMEM;

	rc = src_lock(ctx, src, false);
	if (rc)
		goto out_release_dst;
	rc = -EAGAIN;
	if (folio_trylock(dst)) {
		rc = move_src_to_dst(dst, src, ctx->mode);
		if (rc == MIGRATEPAGE_SUCCESS)
			set_page_owner_migrate_reason(&dst->page, ctx->reason);
		folio_unlock(dst);
	}
	folio_unlock(src);
	if (rc != MIGRATEPAGE_SUCCESS)
		goto out_release_dst;

	list_del(&src->lru);
	src_retire(ctx, src);
	/* The owner holds dst now; drop the allocation reference. */
	folio_put(dst);
	return rc;

out_release_dst:
	dst_release(ctx, dst);
	return rc;
}

/*
 * The end of the move of one unmapped LRU src, whatever its result @rc,
 * with what dst_unstash() gave back: put dst on the LRU if it moved,
 * restore the ptes (to dst on success, to src otherwise) and unlock
 * both.  Returns the result to book.
 */
static int move_finish(struct migrate_ctx *ctx, struct folio *src,
		       struct folio *dst, struct anon_vma *anon_vma,
		       unsigned long src_state, int rc)
{
	bool was_mapped = src_state & SRC_WAS_MAPPED;

	if (rc == MIGRATEPAGE_SUCCESS) {
		/*
		 * On the LRU before the ptes come back, so that remapping
		 * an mlocked folio builds up dst's mlock_count.  Other
		 * folios stay in this CPU's batch, which adds them to the
		 * LRU many at a time.
		 */
		folio_add_lru(dst);
		if (was_mapped && (src_state & SRC_WAS_MLOCKED))
			lru_add_drain();
		set_page_owner_migrate_reason(&dst->page, ctx->reason);
	} else if (src_pinned(src)) {
		/* Pinned since the unmap phase looked. */
		rc = -EBUSY;
	} else if (pass_only_tries(ctx)) {
		/* The caller's own mode may yet succeed. */
		rc = -EAGAIN;
	}

	if (was_mapped)
		remove_migration_ptes(src, rc == MIGRATEPAGE_SUCCESS ? dst : src,
				      false);
	folio_unlock(dst);
	if (anon_vma)
		put_anon_vma(anon_vma);
	folio_unlock(src);
	return rc;
}

/*
 * May the contents of src be copied after the mapping moved, together
 * with the rest of the batch?  Only where the move is ours from end to
 * end: migrate_folio() (anon, shmem, most page cache) and buffer-head
 * mappings without buffers.  Not for the swap cache, whose move puts
 * the swap entries in dst->private, where our stash still is.
 */
static bool move_copy_deferrable(const struct migrate_ctx *ctx,
				 struct folio *src)
{
	int (*move)(struct address_space *mapping, struct folio *dst,
		    struct folio *src, enum migrate_mode mode);
	struct address_space *mapping;

	if (ctx->mode == MIGRATE_SYNC_NO_COPY || folio_test_swapcache(src) ||
	    folio_test_private(src))
		return false;
	mapping = folio_mapping(src);
	if (!mapping)
		return true;
	move = mapping->a_ops->migrate_folio;
	return move && (move == migrate_folio ||
			move == buffer_migrate_folio ||
			move == buffer_migrate_folio_norefs);
}

/*
 * Step 1 of a deferred move: only the cache identity goes to dst, with
 * the reference count frozen.  dst keeps the stash; src is untouched.
 */
static int move_mapping_only(struct folio *dst, struct folio *src)
{
	VM_BUG_ON_FOLIO(!folio_test_locked(src), src);
	VM_BUG_ON_FOLIO(!folio_test_locked(dst), dst);

	/* The unmap phase settled writeback: see migrate_folio_extra(). */
	if (WARN_ON_ONCE(folio_test_writeback(src)))
		return -EBUSY;
	return folio_migrate_mapping(folio_mapping(src), dst, src, 0);
}

/* Step 3 of a deferred move, once the contents are in dst. */
static void move_after_copy(struct folio *dst, struct folio *src)
{
	folio_migrate_flags(dst, src);
	move_lru_done(dst, src);
}

/* src did not move, for good (this call at least). */
static void count_failure(struct migrate_ctx *ctx,
			  const struct folio_tally *t)
{
	ctx->stats.nr_failed_pages += t->nr_pages;
	ctx->stats.nr_thp_failed += t->thp;
	if (t->large || !ctx->moving_pieces)
		ctx->nr_failed++;
}

/*
 * Book a result that needs no splitting: success (src already released),
 * -EAGAIN (src to @again) or a permanent failure (src to ctx->failed).
 */
static void settle_simple(struct migrate_ctx *ctx, struct folio *src,
			  const struct folio_tally *t, int rc,
			  struct list_head *again)
{
	if (rc == MIGRATEPAGE_SUCCESS) {
		ctx->stats.nr_succeeded += t->nr_pages;
		ctx->stats.nr_thp_succeeded += t->thp;
	} else if (rc == -EAGAIN) {
		list_move_tail(&src->lru, again);
	} else {
		count_failure(ctx, t);
		list_move_tail(&src->lru, ctx->failed);
	}
}

/*
 * Split a large src that cannot move whole; its pieces go to ctx->split
 * and are tried after the main passes.
 */
static int split_for_retry(struct migrate_ctx *ctx, struct folio *src,
			   bool batch_locked)
{
	int rc;

	if (!folio_trylock(src)) {
		if (batch_locked)
			return MIGRATE_STEP_CLOSE_BATCH;
		folio_lock(src);
	}
	rc = split_folio_to_list(src, &ctx->split);
	folio_unlock(src);
	if (!rc)
		list_move_tail(&src->lru, &ctx->split);
	return rc;
}

/*
 * -ENOMEM or -ENOSYS for a large src: retry it as small pieces.  NUMA
 * balancing does not split on -ENOMEM; a longterm pin waits for a split
 * that failed transiently.
 */
static int settle_large(struct migrate_ctx *ctx, struct folio *src,
			const struct folio_tally *t, int rc,
			struct list_head *again, bool batch_locked)
{
	int err = -EBUSY;

	if (rc == -ENOSYS || ctx->reason != MR_NUMA_MISPLACED)
		err = split_for_retry(ctx, src, batch_locked);
	if (err == MIGRATE_STEP_CLOSE_BATCH)
		return err;
	if (!err) {
		/* The large folio counts as one failure however its pieces do. */
		ctx->nr_failed++;
		ctx->stats.nr_thp_failed += t->thp;
		ctx->stats.nr_thp_split += t->thp;
		return 0;
	}
	if (rc == -ENOMEM && err == -EAGAIN &&
	    ctx->reason == MR_LONGTERM_PIN) {
		list_move_tail(&src->lru, again);
		return 0;
	}
	count_failure(ctx, t);
	if (rc == -ENOMEM)
		return -ENOMEM;
	list_move_tail(&src->lru, ctx->failed);
	return 0;
}

/*
 * Book the result of a step, the unmap or the move: the one rule for
 * both.  Returns 0, -ENOMEM when the whole call must stop (src stays
 * where it is), or MIGRATE_STEP_CLOSE_BATCH.
 */
static int settle_result(struct migrate_ctx *ctx, struct folio *src,
			 const struct folio_tally *t, int rc,
			 struct list_head *again, bool batch_locked)
{
	if (rc != -ENOMEM && rc != -ENOSYS) {
		settle_simple(ctx, src, t, rc, again);
		return 0;
	}
	if (t->large)
		return settle_large(ctx, src, t, rc, again, batch_locked);
	if (rc == -ENOSYS) {
		settle_simple(ctx, src, t, rc, again);
		return 0;
	}
	count_failure(ctx, t);
	return -ENOMEM;
}

/*
 * Unmap phase: lock and unmap folios from the head of @from into
 * @unmapped (their dsts, in the same order, into @dsts) until the batch
 * is closed or @from is empty.  Folios that fail on the way are booked
 * at once.  Returns 0 or -ENOMEM.
 */
static int unmap_phase(struct migrate_ctx *ctx, struct list_head *from,
		       struct list_head *again, struct list_head *unmapped,
		       struct list_head *dsts)
{
	while (!list_empty(from)) {
		struct folio *src = list_first_entry(from, struct folio, lru);
		bool batch_locked = !list_empty(unmapped);
		struct folio *dst = NULL;
		struct folio_tally t;
		int rc;

		/* Long calls must not hold off RCU-tasks grace periods. */
		cond_resched_tasks_rcu_qs();
		tally_take(&t, src);
		if (__folio_test_movable(src)) {
			/* Owners' callbacks run with no batch locks held. */
			if (batch_locked)
				return 0;
			rc = migrate_movable_folio(ctx, src);
		} else {
			ctx->batch_of_one = !batch_locked &&
					    (list_is_singular(from) ||
					     !batch_may_grow(ctx));
			rc = unmap_lru_folio(ctx, src, &dst, batch_locked);
		}

		if (rc == MIGRATE_STEP_UNMAPPED) {
			list_move_tail(&src->lru, unmapped);
			list_add_tail(&dst->lru, dsts);
			if (!batch_may_grow(ctx))
				return 0;
			continue;
		}
		if (rc != MIGRATE_STEP_CLOSE_BATCH)
			rc = settle_result(ctx, src, &t, rc, again,
					   batch_locked);
		if (rc == MIGRATE_STEP_CLOSE_BATCH)
			return 0;
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * The one TLB flush point of a batch: src_unmap() had try_to_migrate()
 * defer the flush of every pte it cleared (TTU_BATCH_FLUSH) to here.
 * It comes before any src is copied; move_mappings() checks.
 */
static void batch_flush_tlb(struct migrate_ctx *ctx)
{
	try_to_unmap_flush();
	ctx->tlb_unflushed = false;
}

/*
 * A move that failed with -ENOMEM or -ENOSYS (only a large folio's own
 * ->migrate_folio() may) is settled after the batch is unlocked, since
 * splitting src may sleep for its lock.
 */
static bool settle_after_batch(int rc)
{
	return rc == -ENOMEM || rc == -ENOSYS;
}

/* The folios of a batch on their way through the move phase. */
struct move_lists {
	struct list_head copy_srcs;	/* mapping moved, contents not yet */
	struct list_head copy_dsts;	/* their dsts, in the same order */
	unsigned long copy_pages;
	struct list_head no_mem;
	struct list_head no_sys;
};

static void move_lists_init(struct move_lists *ml)
{
	INIT_LIST_HEAD(&ml->copy_srcs);
	INIT_LIST_HEAD(&ml->copy_dsts);
	ml->copy_pages = 0;
	INIT_LIST_HEAD(&ml->no_mem);
	INIT_LIST_HEAD(&ml->no_sys);
}

/* Book the result of one folio of the batch; both are unlocked. */
static void move_book(struct migrate_ctx *ctx, struct folio *src,
		      struct folio *dst, int rc, struct move_lists *ml,
		      struct list_head *again)
{
	struct folio_tally t;

	tally_take(&t, src);
	if (rc == MIGRATEPAGE_SUCCESS) {
		list_del(&src->lru);
		src_retire(ctx, src);
		/* dst lives on through its cache slot and ptes. */
		folio_put(dst);
	} else {
		dst_release(ctx, dst);
	}
	if (settle_after_batch(rc))
		list_move_tail(&src->lru, rc == -ENOMEM ? &ml->no_mem :
							   &ml->no_sys);
	else
		settle_simple(ctx, src, &t, rc, again);
}

/*
 * Move step 1, the mappings: each folio whose contents may wait goes to
 * the copy lists with its cache identity moved; every other one moves
 * whole, contents and all, and is finished and booked at once, as is a
 * folio whose mapping would not move.
 */
static void move_mappings(struct migrate_ctx *ctx, struct list_head *unmapped,
			  struct list_head *dsts, struct move_lists *ml,
			  struct list_head *again)
{
	while (!list_empty(unmapped)) {
		struct folio *src = list_first_entry(unmapped, struct folio, lru);
		struct folio *dst = list_first_entry(dsts, struct folio, lru);
		bool deferred = move_copy_deferrable(ctx, src);
		struct anon_vma *anon_vma;
		unsigned long src_state;
		int rc;

		VM_BUG_ON_FOLIO(!folio_test_locked(src), src);
		VM_BUG_ON_FOLIO(!folio_test_locked(dst), dst);
		/* A stale TLB entry must not write to src after it was copied. */
		VM_WARN_ON_ONCE(ctx->tlb_unflushed);

		if (deferred) {
			rc = move_mapping_only(dst, src);
			if (rc == MIGRATEPAGE_SUCCESS) {
				list_move_tail(&src->lru, &ml->copy_srcs);
				list_move_tail(&dst->lru, &ml->copy_dsts);
				ml->copy_pages += folio_nr_pages(src);
				continue;
			}
		}
		/* Before a whole move: the swap cache's uses dst->private. */
		anon_vma = dst_unstash(dst, &src_state);
		if (!deferred)
			rc = move_src_to_dst(dst, src, move_mode(ctx));
		list_del(&dst->lru);
		rc = move_finish(ctx, src, dst, anon_vma, src_state, rc);
		move_book(ctx, src, dst, rc, ml, again);
	}
}

/* Move step 2, the contents: every deferred folio in one go. */
static void move_contents(struct move_lists *ml)
{
	struct folio *src, *dst;

	if (list_empty(&ml->copy_srcs))
		return;
	src = list_first_entry(&ml->copy_srcs, struct folio, lru);
	dst = list_first_entry(&ml->copy_dsts, struct folio, lru);
	migrate_copy_folios(dst, src, ml->copy_pages);
}

/* Move step 3: flags, ptes and unlocks of the deferred folios. */
static void move_finish_copied(struct migrate_ctx *ctx, struct move_lists *ml,
			       struct list_head *again)
{
	while (!list_empty(&ml->copy_srcs)) {
		struct folio *src = list_first_entry(&ml->copy_srcs,
						     struct folio, lru);
		struct folio *dst = list_first_entry(&ml->copy_dsts,
						     struct folio, lru);
		struct anon_vma *anon_vma;
		unsigned long src_state;
		int rc;

		anon_vma = dst_unstash(dst, &src_state);

		list_del(&dst->lru);
		move_after_copy(dst, src);
		rc = move_finish(ctx, src, dst, anon_vma, src_state,
				 MIGRATEPAGE_SUCCESS);
		move_book(ctx, src, dst, rc, ml, again);
	}
}

/*
 * Move phase: move every mapping, copy every deferred folio's contents,
 * then finish them (flags, ptes, unlocks), and settle what had to wait
 * for the unlocks.  Returns 0, or -ENOMEM with the folios it stopped at
 * back at the head of @from, as the unmap phase leaves them.
 */
static int move_phase(struct migrate_ctx *ctx, struct list_head *unmapped,
		      struct list_head *dsts, struct list_head *from,
		      struct list_head *again)
{
	struct move_lists ml;
	struct folio *src, *next;
	struct folio_tally t;
	int err = 0;

	move_lists_init(&ml);
	move_mappings(ctx, unmapped, dsts, &ml, again);
	move_contents(&ml);
	move_finish_copied(ctx, &ml, again);

	list_for_each_entry_safe(src, next, &ml.no_sys, lru) {
		tally_take(&t, src);
		settle_result(ctx, src, &t, -ENOSYS, again, false);
	}
	list_for_each_entry_safe(src, next, &ml.no_mem, lru) {
		tally_take(&t, src);
		err = settle_result(ctx, src, &t, -ENOMEM, again, false);
		if (err)
			break;
	}
	/* The call stops here: src and the rest stay where they are. */
	list_splice(&ml.no_mem, from);
	return err;
}

/* One pass over LRU and non-LRU movable folios, batch by batch. */
static int lru_pass(struct migrate_ctx *ctx, struct list_head *from,
		    struct list_head *again)
{
	LIST_HEAD(unmapped);
	LIST_HEAD(dsts);
	int rc, moved;

	do {
		rc = unmap_phase(ctx, from, again, &unmapped, &dsts);
		batch_flush_tlb(ctx);
		moved = move_phase(ctx, &unmapped, &dsts, from, again);
		if (!rc)
			rc = moved;
	} while (!rc && !list_empty(from));
	return rc;
}

static bool migrate_may_retry(const struct migrate_ctx *ctx)
{
	unsigned int next = ctx->pass + 1;

	if (next < MIGRATE_MAX_PASSES)
		return true;
	return migrate_is_patient(ctx) && next < MIGRATE_SYNC_MAX_PASSES &&
	       ctx->patience;
}

/*
 * Between passes of a patient caller, get rid of what usually holds
 * transient references: per-CPU LRU and mlock batches, and tasks that
 * are just now faulting on or reading the folios.  Other CPUs' batches
 * are drained once per call, since only folios that were in them before
 * isolation can be there; then the local ones suffice.  Pinned folios
 * never get here: they fail at once.
 */
static void migrate_backoff(struct migrate_ctx *ctx)
{
	unsigned int next = ctx->pass + 1;

	if (!migrate_is_patient(ctx) || next < MIGRATE_FORCE_PASS)
		return;
	if (!ctx->drained_all) {
		lru_add_drain_all();
		ctx->drained_all = true;
	} else {
		lru_add_drain();
	}
	if (next >= MIGRATE_MAX_PASSES) {
		ctx->patience--;
		schedule_timeout_killable(MIGRATE_BACKOFF_JIFFIES);
	}
}

static long list_nr_pages(struct list_head *list)
{
	struct folio *folio;
	long nr = 0;

	list_for_each_entry(folio, list, lru)
		nr += folio_nr_pages(folio);
	return nr;
}

/* Out of passes: what is left on @list failed. */
static void give_up_list(struct migrate_ctx *ctx, struct list_head *list)
{
	struct folio *folio, *next;
	struct folio_tally t;

	list_for_each_entry_safe(folio, next, list, lru) {
		tally_take(&t, folio);
		count_failure(ctx, &t);
		list_move_tail(&folio->lru, ctx->failed);
	}
}

/*
 * Run @one_pass over @from until it is empty or out of passes.  @from
 * is empty on return; what did not move is on ctx->failed.
 */
static int migrate_passes(struct migrate_ctx *ctx, struct list_head *from,
			  migrate_pass_t *one_pass)
{
	LIST_HEAD(again);
	int rc;

	for (ctx->pass = 0; ; ctx->pass++) {
		rc = one_pass(ctx, from, &again);
		if (rc)
			break;
		list_splice_init(&again, from);
		if (list_empty(from) || !migrate_may_retry(ctx))
			break;
		migrate_backoff(ctx);
	}

	if (rc) {
		/* -ENOMEM: everything goes back to the caller. */
		ctx->stats.nr_failed_pages += list_nr_pages(&again);
		list_splice_tail_init(&again, ctx->failed);
		list_splice_tail_init(from, ctx->failed);
		return rc;
	}
	give_up_list(ctx, from);
	return 0;
}

/*
 * Hugetlb folios move in batches of their own, through the same phases
 * as LRU ones (see the top of this file): unmap every folio, move every
 * mapping, copy all the contents in one go, then restore the ptes.  A
 * large batch is what parallel copy can share out without splitting a
 * folio's copy.  Hugetlb unmaps flush the TLB themselves.
 *
 * Hugetlb I/O is direct I/O only, which holds references rather than
 * PG_writeback, so there is no writeback to wait for: a hugetlb folio
 * under I/O simply fails the reference check.
 */
#define HUGETLB_BATCH_MAX	8
#define HUGETLB_BATCH_PAGES	MIGRATE_LARGE_CHUNK

/* A hugetlb src of the batch, locked and unmapped, with its dst. */
struct huge_slot {
	struct folio *src;
	struct folio *dst;
	struct anon_vma *anon_vma;
	bool was_mapped;
	bool rmap_locked;	/* its rmap is the batch's locked mapping */
	int rc;
};

struct huge_batch {
	struct list_head srcs;	/* the slots' srcs, in slot order */
	struct huge_slot slot[HUGETLB_BATCH_MAX];
	unsigned int nr;
	unsigned long nr_pages;
	/*
	 * Unmapping a folio of a shared file mapping may unshare page
	 * tables, which needs i_mmap_rwsem held for write until its ptes
	 * are restored.  A batch holds one such mapping at most.
	 */
	struct address_space *mapping;
};

static void huge_batch_init(struct huge_batch *hb)
{
	INIT_LIST_HEAD(&hb->srcs);
	hb->nr = 0;
	hb->nr_pages = 0;
	hb->mapping = NULL;
}

static bool huge_batch_locked(const struct huge_batch *hb)
{
	return hb->nr || hb->mapping;
}

static bool huge_batch_full(const struct migrate_ctx *ctx,
			    const struct huge_batch *hb)
{
	if (!hb->nr)
		return false;
	return !batch_may_grow(ctx) || hb->nr == HUGETLB_BATCH_MAX ||
	       hb->nr_pages >= HUGETLB_BATCH_PAGES;
}

/*
 * Like src_lock(), with stock's rule for hugetlb: only full synchronous
 * migration sleeps, once every other folio was tried.
 */
static int huge_src_lock(struct migrate_ctx *ctx, struct folio *src,
			 bool batch_locked)
{
	bool full_sync = ctx->mode == MIGRATE_SYNC ||
			 ctx->mode == MIGRATE_SYNC_NO_COPY;

	if (folio_trylock(src))
		return 0;
	if (!full_sync || ctx->pass < MIGRATE_FORCE_PASS)
		return -EAGAIN;
	if (batch_locked)
		return MIGRATE_STEP_CLOSE_BATCH;
	return folio_lock_killable(src) ? -EAGAIN : 0;
}

/*
 * The rmap lock a mapped file src needs: the batch's own mapping, or
 * taken for the batch now.  Return: 0, -EAGAIN, or
 * MIGRATE_STEP_CLOSE_BATCH when the batch holds another mapping.
 */
static int huge_rmap_lock(struct huge_batch *hb, struct folio *src)
{
	struct address_space *mapping;

	if (hb->mapping)
		return folio_mapping(src) == hb->mapping ? 0 :
		       MIGRATE_STEP_CLOSE_BATCH;
	/* A trylock: i_mmap_rwsem ranks above the folio lock for hugetlb. */
	mapping = hugetlb_page_mapping_lock_write(&src->page);
	if (!mapping)
		return -EAGAIN;
	hb->mapping = mapping;
	return 0;
}

/* Unmap the locked src into slot @s, with dst locked.  0 or -errno. */
static int huge_unmap_locked(struct huge_batch *hb, struct huge_slot *s)
{
	struct folio *src = s->src;
	int rc;

	/* Without a mapping hugetlbfs would leak the subpool usage. */
	if (hugetlb_page_subpool(&src->page) && !folio_mapping(src))
		return -EBUSY;
	s->was_mapped = folio_mapped(src);
	s->rmap_locked = s->was_mapped && !folio_test_anon(src);
	if (s->rmap_locked) {
		rc = huge_rmap_lock(hb, src);
		if (rc)
			return rc;
	}
	s->anon_vma = folio_test_anon(src) ? folio_get_anon_vma(src) : NULL;
	if (unlikely(!folio_trylock(s->dst))) {
		rc = -EAGAIN;
		goto out_put_anon_vma;
	}
	if (!s->was_mapped)
		return 0;
	try_to_migrate(src, s->rmap_locked ? TTU_RMAP_LOCKED : 0);
	if (!folio_mapped(src))
		return 0;

	rc = src_pinned(src) ? -EBUSY : -EAGAIN;
	remove_migration_ptes(src, src, s->rmap_locked);
	folio_unlock(s->dst);
out_put_anon_vma:
	if (s->anon_vma)
		put_anon_vma(s->anon_vma);
	return rc;
}

/*
 * Unmap phase for one hugetlb src: allocate dst, lock src, unmap it into
 * the next slot of @hb.  Return: MIGRATE_STEP_UNMAPPED, a result to book
 * or MIGRATE_STEP_CLOSE_BATCH.
 */
static int huge_unmap_folio(struct migrate_ctx *ctx, struct huge_batch *hb,
			    struct folio *src)
{
	struct huge_slot *s = &hb->slot[hb->nr];
	int rc;

	if (!hugepage_migration_supported(folio_hstate(src)))
		return -ENOSYS;
	if (folio_ref_count(src) == 1) {
		/* Freed under us: back to the hstate's active list. */
		folio_putback_hugetlb(&src->page);
		return MIGRATEPAGE_SUCCESS;
	}
	if (src_pinned(src))
		return -EBUSY;
	s->src = src;
	s->dst = dst_alloc(ctx, src);
	if (!s->dst)
		return -ENOMEM;

	rc = huge_src_lock(ctx, src, huge_batch_locked(hb));
	if (!rc) {
		rc = huge_unmap_locked(hb, s);
		if (!rc) {
			list_move_tail(&src->lru, &hb->srcs);
			hb->nr++;
			hb->nr_pages += folio_nr_pages(src);
			return MIGRATE_STEP_UNMAPPED;
		}
		folio_unlock(src);
	}
	dst_release(ctx, s->dst);
	return rc;
}

/*
 * Fill @hb from the head of @from.  Folios that fail on the way are
 * booked at once.  Returns 0 or -ENOMEM.
 */
static int huge_unmap_phase(struct migrate_ctx *ctx, struct list_head *from,
			    struct list_head *again, struct huge_batch *hb)
{
	while (!list_empty(from) && !huge_batch_full(ctx, hb)) {
		struct folio *src = list_first_entry(from, struct folio, lru);
		struct folio_tally t;
		int rc;

		cond_resched_tasks_rcu_qs();
		tally_take(&t, src);
		rc = huge_unmap_folio(ctx, hb, src);
		if (rc == MIGRATE_STEP_UNMAPPED)
			continue;
		if (rc == MIGRATE_STEP_CLOSE_BATCH)
			break;
		if (rc == -ENOMEM) {
			count_failure(ctx, &t);
			return rc;
		}
		settle_simple(ctx, src, &t, rc, again);
	}
	return 0;
}

/* Move step 1: every mapping; the contents wait for step 2. */
static unsigned int huge_move_mappings(struct migrate_ctx *ctx,
				       struct huge_batch *hb,
				       struct migrate_copy_pair *pairs)
{
	unsigned int i, nr_copy = 0;

	for (i = 0; i < hb->nr; i++) {
		struct huge_slot *s = &hb->slot[i];

		/* The move, bar the contents: see hugetlbfs_migrate_folio(). */
		s->rc = move_lru_contents(s->dst, s->src,
					  MIGRATE_SYNC_NO_COPY);
		if (s->rc != MIGRATEPAGE_SUCCESS ||
		    ctx->mode == MIGRATE_SYNC_NO_COPY)
			continue;
		pairs[nr_copy].dst = s->dst;
		pairs[nr_copy].src = s->src;
		nr_copy++;
	}
	return nr_copy;
}

/* Move step 3, with the contents in place: ptes, state, unlocks. */
static void huge_move_finish(struct migrate_ctx *ctx, struct huge_batch *hb)
{
	unsigned int i;

	for (i = 0; i < hb->nr; i++) {
		struct huge_slot *s = &hb->slot[i];
		bool moved = s->rc == MIGRATEPAGE_SUCCESS;

		if (moved)
			move_lru_done(s->dst, s->src);
		else if (s->rc == -EAGAIN && src_pinned(s->src))
			s->rc = -EBUSY;
		if (s->was_mapped)
			remove_migration_ptes(s->src, moved ? s->dst : s->src,
					      s->rmap_locked);
	}
	if (hb->mapping)
		i_mmap_unlock_write(hb->mapping);
	for (i = 0; i < hb->nr; i++) {
		struct huge_slot *s = &hb->slot[i];

		folio_unlock(s->dst);
		if (s->anon_vma)
			put_anon_vma(s->anon_vma);
		if (s->rc == MIGRATEPAGE_SUCCESS)
			move_hugetlb_state(&s->src->page, &s->dst->page,
					   ctx->reason);
		folio_unlock(s->src);
	}
}

/* Release and book every folio of the batch; they are all unlocked. */
static void huge_batch_book(struct migrate_ctx *ctx, struct huge_batch *hb,
			    struct list_head *again)
{
	unsigned int i;

	for (i = 0; i < hb->nr; i++) {
		struct huge_slot *s = &hb->slot[i];
		struct folio_tally t;

		/* Before the release: a moved src may be freed by it. */
		tally_take(&t, s->src);
		if (s->rc == MIGRATEPAGE_SUCCESS) {
			/* Drops the isolation reference: src to the pool. */
			folio_putback_hugetlb(&s->src->page);
			folio_put(s->dst);
		} else {
			dst_release(ctx, s->dst);
		}
		settle_simple(ctx, s->src, &t, s->rc, again);
	}
}

/* Move phase of a hugetlb batch: mappings, contents, then the rest. */
static void huge_move_phase(struct migrate_ctx *ctx, struct huge_batch *hb,
			    struct list_head *again)
{
	struct migrate_copy_pair pairs[HUGETLB_BATCH_MAX];
	unsigned int nr_copy;

	nr_copy = huge_move_mappings(ctx, hb, pairs);
	if (nr_copy)
		migrate_copy_pairs(pairs, nr_copy);
	huge_move_finish(ctx, hb);
	huge_batch_book(ctx, hb, again);
}

/* One pass over hugetlb folios, batch by batch. */
static int hugetlb_pass(struct migrate_ctx *ctx, struct list_head *from,
			struct list_head *again)
{
	struct huge_batch hb;
	int rc;

	do {
		huge_batch_init(&hb);
		rc = huge_unmap_phase(ctx, from, again, &hb);
		huge_move_phase(ctx, &hb, again);
	} while (!rc && !list_empty(from));
	return rc;
}

/* Hugetlb folios first, on their own path; they leave @from. */
static int migrate_hugetlb_list(struct migrate_ctx *ctx,
				struct list_head *from)
{
	struct folio *folio, *next;
	LIST_HEAD(huge);

	list_for_each_entry_safe(folio, next, from, lru)
		if (folio_test_hugetlb(folio))
			list_move_tail(&folio->lru, &huge);
	if (list_empty(&huge))
		return 0;
	return migrate_passes(ctx, &huge, hugetlb_pass);
}

static bool chunk_folio_large(long nr_pages)
{
	return nr_pages >= MIGRATE_LIST_CHUNK;
}

/*
 * Move a chunk of @from, one folio at least, to @chunk: up to
 * MIGRATE_LIST_CHUNK base pages, or, when it starts with a large folio,
 * up to MIGRATE_LARGE_CHUNK of large folios only.
 */
static void take_chunk(struct list_head *from, struct list_head *chunk)
{
	long budget = MIGRATE_LIST_CHUNK;
	struct folio *folio, *next;
	bool large = false;

	list_for_each_entry_safe(folio, next, from, lru) {
		long nr = folio_nr_pages(folio);

		if (list_empty(chunk)) {
			large = chunk_folio_large(nr);
			if (large)
				budget = MIGRATE_LARGE_CHUNK;
		} else if (nr > budget || chunk_folio_large(nr) != large) {
			break;
		}
		list_move_tail(&folio->lru, chunk);
		budget -= nr;
	}
}

/* Everything else, a chunk at a time, then the pieces of split folios. */
static int migrate_lru_list(struct migrate_ctx *ctx, struct list_head *from)
{
	LIST_HEAD(chunk);
	int rc = 0;

	while (!rc && !list_empty(from)) {
		take_chunk(from, &chunk);
		rc = migrate_passes(ctx, &chunk, lru_pass);
	}
	/* A split piece counts as part of its large folio's failure. */
	ctx->moving_pieces = true;
	while (!rc && !list_empty(&ctx->split)) {
		take_chunk(&ctx->split, &chunk);
		rc = migrate_passes(ctx, &chunk, lru_pass);
	}
	return rc;
}

static void migrate_report(struct migrate_ctx *ctx)
{
	struct migrate_stats *s = &ctx->stats;

	count_vm_events(PGMIGRATE_SUCCESS, s->nr_succeeded);
	count_vm_events(PGMIGRATE_FAIL, s->nr_failed_pages);
	count_vm_events(THP_MIGRATION_SUCCESS, s->nr_thp_succeeded);
	count_vm_events(THP_MIGRATION_FAIL, s->nr_thp_failed);
	count_vm_events(THP_MIGRATION_SPLIT, s->nr_thp_split);
	trace_mm_migrate_pages(s->nr_succeeded, s->nr_failed_pages,
			       s->nr_thp_succeeded, s->nr_thp_failed,
			       s->nr_thp_split, ctx->mode, ctx->reason);
}

/**
 * migrate_pages - Move a list of isolated folios to new folios.
 * @from: The folios to move, linked through ->lru.  LRU folios must be
 *	isolated with NR_ISOLATED_* accounted, non-LRU movable pages
 *	isolated with isolate_movable_page(), hugetlb folios with
 *	folio_isolate_hugetlb().
 * @get_new_page: Allocates the destination for a source page.
 * @put_new_page: Takes back an unused destination, or NULL to simply
 *	drop its reference.
 * @private: Cookie passed to @get_new_page and @put_new_page.
 * @mode: How long the engine may sleep (see the naming key).
 * @reason: The enum migrate_reason of the caller.
 * @ret_succeeded: If not NULL, set to the number of base pages moved.
 *
 * Hugetlb folios are moved first, then the rest a chunk at a time, each
 * in up to MIGRATE_MAX_PASSES passes (more for a patient MIGRATE_SYNC
 * caller).  A large folio that cannot move whole (-ENOMEM, -ENOSYS) is
 * split and its pieces are moved after the main passes.
 *
 * Folios that moved are released.  Folios that did not move are left on
 * @from, unharmed; the caller must give them back, normally with
 * putback_movable_pages(), whenever the result is not 0.
 *
 * Context: Process context, may sleep unless @mode is MIGRATE_ASYNC.
 *	No folio of @from may be locked by the caller.
 * Return: 0 if everything moved, else the number of folios that did not
 *	move (a split large folio counts as one), or -ENOMEM if the call
 *	stopped for lack of memory.
 */
int migrate_pages(struct list_head *from, new_page_t get_new_page,
		  free_page_t put_new_page, unsigned long private,
		  enum migrate_mode mode, int reason,
		  unsigned int *ret_succeeded)
{
	LIST_HEAD(failed);
	struct migrate_ctx ctx = {
		.get_dst = get_new_page,
		.put_dst = put_new_page,
		.private = private,
		.mode = mode,
		.reason = reason,
		.patience = MIGRATE_PATIENT_PASSES,
		.failed = &failed,
	};
	int rc;

	INIT_LIST_HEAD(&ctx.split);
	trace_mm_migrate_pages_start(mode, reason);

	rc = migrate_hugetlb_list(&ctx, from);
	if (!rc)
		rc = migrate_lru_list(&ctx, from);

	/* After -ENOMEM, untried folios and pieces go back as they are. */
	list_splice_tail_init(&ctx.split, &failed);
	list_splice(&failed, from);

	migrate_report(&ctx);
	if (ret_succeeded)
		*ret_succeeded = ctx.stats.nr_succeeded;
	if (rc)
		return rc;
	/* All the pieces of every split folio may have moved after all. */
	return list_empty(from) ? 0 : ctx.nr_failed;
}

/**
 * alloc_migration_target - The usual new_page_t for migrate_pages().
 * @page: The source page.
 * @private: A struct migration_target_control cast to unsigned long:
 *	preferred node (NUMA_NO_NODE: the source's), allowed nodes, gfp.
 *
 * Allocates a folio of the same kind and order as @page's: hugetlb from
 * the hstate pool, large folios like any THP allocation.
 *
 * Context: Process context, may sleep if the gfp mask allows.
 * Return: The head page of the new folio, or NULL.
 */
struct page *alloc_migration_target(struct page *page, unsigned long private)
{
	struct migration_target_control *mtc = (void *)private;
	struct folio *src = page_folio(page);
	gfp_t gfp = mtc->gfp_mask;
	unsigned int order = 0;
	struct folio *dst;
	int nid = mtc->nid;
	enum zone_type zidx;

	if (nid == NUMA_NO_NODE)
		nid = folio_nid(src);

	if (folio_test_hugetlb(src)) {
		struct hstate *h = folio_hstate(src);

		gfp = htlb_modify_alloc_mask(h, gfp);
		return alloc_huge_page_nodemask(h, nid, mtc->nmask, gfp);
	}
	if (folio_test_large(src)) {
		/* Reclaim like any THP allocation, not like the caller asked. */
		gfp = (gfp & ~__GFP_RECLAIM) | GFP_TRANSHUGE;
		order = folio_order(src);
	}
	zidx = zone_idx(folio_zone(src));
	if (is_highmem_idx(zidx) || zidx == ZONE_MOVABLE)
		gfp |= __GFP_HIGHMEM;

	dst = __folio_alloc(gfp, order, nid, mtc->nmask);
	return dst ? &dst->page : NULL;
}

#ifdef CONFIG_MIGRATE_KUNIT_TEST
#include "migrate-test.h"
#endif
