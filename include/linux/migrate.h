/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page migration: moving the contents of a page to another physical page
 * while keeping every user's view of it (mappings, page cache, owner
 * state) intact.  See Documentation/mm/page_migration.rst.
 */
#ifndef _LINUX_MIGRATE_H
#define _LINUX_MIGRATE_H

#include <linux/mm.h>
#include <linux/mempolicy.h>
#include <linux/migrate_mode.h>
#include <linux/hugetlb.h>

struct migration_target_control;

/* Allocate a target page for @page; @private is the caller's cookie. */
typedef struct page *new_page_t(struct page *page, unsigned long private);
/* Give back a target page that was not used. */
typedef void free_page_t(struct page *page, unsigned long private);

/*
 * Result codes of the per-folio migration callbacks.  Failures are
 * negative errnos; -EAGAIN means "transient, try again later".
 * MIGRATEPAGE_UNMAP is an engine-internal "unmapped, ready to move".
 */
#define MIGRATEPAGE_SUCCESS		0
#define MIGRATEPAGE_UNMAP		1

/**
 * struct movable_operations - Callbacks for non-LRU movable pages.
 * @isolate_page: Called with the page locked.  Return true if the owner
 *	agrees to hand the page to migration, false if it is busy now.  From
 *	then on the VM owns page->lru, so the owner must not keep anything
 *	there.
 * @migrate_page: Called with @src (isolated) and @dst both locked.  Copy
 *	the contents and the owner's metadata from @src to @dst.  On success
 *	call __ClearPageMovable(@src) and return MIGRATEPAGE_SUCCESS.  Return
 *	-EAGAIN if the page is busy for a short while (the VM retries), any
 *	other errno for a permanent failure.  @src->lru must not be touched;
 *	@dst->lru may be.
 * @putback_page: Migration of the isolated page failed or was abandoned;
 *	the owner takes the page back into its own structures.
 *
 * A driver registers these with __SetPageMovable().  The VM serialises
 * all three callbacks against each other with the page lock.
 */
struct movable_operations {
	bool (*isolate_page)(struct page *page, isolate_mode_t mode);
	int (*migrate_page)(struct page *dst, struct page *src,
			    enum migrate_mode mode);
	void (*putback_page)(struct page *page);
};

/*
 * Non-LRU movable pages carry their movable_operations in page->mapping,
 * tagged with PAGE_MAPPING_MOVABLE.  The helpers live in mm/compaction.c.
 */
#ifdef CONFIG_COMPACTION
bool PageMovable(struct page *page);
void __SetPageMovable(struct page *page, const struct movable_operations *ops);
void __ClearPageMovable(struct page *page);
#else
/* Without compaction nothing isolates non-LRU pages: none is movable. */
static inline bool PageMovable(struct page *page) { return false; }
static inline void __SetPageMovable(struct page *page,
				    const struct movable_operations *ops) { }
static inline void __ClearPageMovable(struct page *page) { }
#endif

/* Defined in mm/debug.c: */
extern const char *migrate_reason_names[MR_TYPES];

#ifdef CONFIG_MIGRATION
int migrate_pages(struct list_head *l, new_page_t new, free_page_t free,
		  unsigned long private, enum migrate_mode mode, int reason,
		  unsigned int *ret_succeeded);
void putback_movable_pages(struct list_head *l);
int isolate_movable_page(struct page *page, isolate_mode_t mode);
struct page *alloc_migration_target(struct page *page, unsigned long private);

int folio_migrate_mapping(struct address_space *mapping,
			  struct folio *newfolio, struct folio *folio,
			  int extra_count);
int migrate_huge_page_move_mapping(struct address_space *mapping,
				   struct folio *dst, struct folio *src);
void folio_migrate_flags(struct folio *newfolio, struct folio *folio);
void folio_migrate_copy(struct folio *newfolio, struct folio *folio);
int migrate_folio(struct address_space *mapping, struct folio *dst,
		  struct folio *src, enum migrate_mode mode);
int migrate_folio_extra(struct address_space *mapping, struct folio *dst,
			struct folio *src, enum migrate_mode mode,
			int extra_count);
void migration_entry_wait_on_locked(swp_entry_t entry,
				    pte_t *ptep, spinlock_t *ptl)
	__releases(ptl);
#else /* !CONFIG_MIGRATION */
/* Nothing can be isolated, moved or put back: report it as unsupported. */
static inline int isolate_movable_page(struct page *page,
				       isolate_mode_t mode)
{
	return -EBUSY;
}

static inline void putback_movable_pages(struct list_head *l) { }

static inline struct page *alloc_migration_target(struct page *page,
						  unsigned long private)
{
	return NULL;
}

static inline int migrate_pages(struct list_head *l, new_page_t new,
				free_page_t free, unsigned long private,
				enum migrate_mode mode, int reason,
				unsigned int *ret_succeeded)
{
	return -ENOSYS;
}

static inline int migrate_huge_page_move_mapping(struct address_space *mapping,
						 struct folio *dst,
						 struct folio *src)
{
	return -ENOSYS;
}
#endif /* CONFIG_MIGRATION */

/* The movable_operations of a page with PAGE_MAPPING_MOVABLE set. */
static inline
const struct movable_operations *page_movable_ops(struct page *page)
{
	unsigned long tagged = (unsigned long)page->mapping;

	VM_BUG_ON(!__PageMovable(page));
	return (const struct movable_operations *)
		(tagged - PAGE_MAPPING_MOVABLE);
}

/* Is @folio a non-LRU movable page whose owner still has it? */
static inline bool folio_test_movable(struct folio *folio)
{
	return PageMovable(&folio->page);
}

#ifdef CONFIG_NUMA_BALANCING
int migrate_misplaced_page(struct page *page, struct vm_area_struct *vma,
			   int node);
bool migrate_lazy_vma(struct vm_area_struct *vma, unsigned long flags);
void migrate_lazy_mark(struct mm_struct *mm, unsigned long start,
		       unsigned long end, const nodemask_t *nmask,
		       unsigned long flags);
bool migrate_lazy_policy(struct vm_area_struct *vma);
#else
static inline int migrate_misplaced_page(struct page *page,
					 struct vm_area_struct *vma, int node)
{
	/* Nothing moves a misplaced page: tell the caller to keep it. */
	return -EAGAIN;
}

/* No hinting faults: a lazy mbind() moves its pages during the call. */
static inline bool migrate_lazy_vma(struct vm_area_struct *vma,
				    unsigned long flags)
{
	return false;
}

static inline void migrate_lazy_mark(struct mm_struct *mm,
				     unsigned long start, unsigned long end,
				     const nodemask_t *nmask,
				     unsigned long flags)
{
}
#endif

/*
 * The flags mbind() takes: MPOL_MF_VALID, and MPOL_MF_LAZY with a move
 * flag, without MPOL_MF_STRICT (a lazy call cannot check at its return
 * what it leaves to later touches), and with a policy to move towards.
 */
static inline bool mbind_flags_valid(unsigned long flags, unsigned short mode)
{
	if (flags & ~(unsigned long)(MPOL_MF_VALID | MPOL_MF_LAZY))
		return false;
	if (!(flags & MPOL_MF_LAZY))
		return true;
	return (flags & (MPOL_MF_MOVE | MPOL_MF_MOVE_ALL)) &&
	       !(flags & MPOL_MF_STRICT) && mode != MPOL_DEFAULT;
}

#ifdef CONFIG_MIGRATION
/*
 * Device migration (mm/migrate_device.c) describes pages as "migrate
 * pfns": the pfn shifted up by MIGRATE_PFN_SHIFT with state bits below.
 * The bits must fit an unsigned long even on 32-bit PAE.
 */
#define MIGRATE_PFN_VALID	BIT(0)
#define MIGRATE_PFN_MIGRATE	BIT(1)
#define MIGRATE_PFN_WRITE	BIT(3)
#define MIGRATE_PFN_SHIFT	6

static inline unsigned long migrate_pfn(unsigned long pfn)
{
	return MIGRATE_PFN_VALID | (pfn << MIGRATE_PFN_SHIFT);
}

static inline struct page *migrate_pfn_to_page(unsigned long mpfn)
{
	return (mpfn & MIGRATE_PFN_VALID) ?
		pfn_to_page(mpfn >> MIGRATE_PFN_SHIFT) : NULL;
}

/* Which source pages migrate_vma_setup() collects. */
enum migrate_vma_direction {
	MIGRATE_VMA_SELECT_SYSTEM		= BIT(0),
	MIGRATE_VMA_SELECT_DEVICE_PRIVATE	= BIT(1),
	MIGRATE_VMA_SELECT_DEVICE_COHERENT	= BIT(2),
};

/**
 * struct migrate_vma - One device migration request over a VMA range.
 * @vma: The VMA holding [@start, @end).
 * @dst: Destination migrate pfns filled in by the driver, one per page;
 *	not to be changed after migrate_vma_pages().
 * @src: Source migrate pfns, one per page of the range; not to be
 *	changed by the caller after migrate_vma_setup().
 * @cpages: Out: number of pages collected for migration.
 * @npages: Number of pages in the range.
 * @start: First address of the range.
 * @end: End of the range (exclusive).
 * @pgmap_owner: Must match page->pgmap->owner when migrating from device
 *	private memory; also used to filter mmu notifier invalidations.
 * @flags: MIGRATE_VMA_SELECT_* bits.
 * @fault_page: vmf->page when called from a migrate_to_ram() handler.
 *
 * Drivers built against 6.1 headers rely on this layout, so the members
 * keep 6.1's order; migrate_test_migrate_vma_layout() checks it.
 */
struct migrate_vma {
	struct vm_area_struct *vma;
	unsigned long *dst, *src;
	unsigned long cpages, npages, start, end;
	void *pgmap_owner;
	unsigned long flags;
	struct page *fault_page;
};

/*
 * Device migration (mm/migrate_device.c): of a VMA range, described by
 * a struct migrate_vma, or of device pfns [@first, @first + @nr) with
 * no VMA, in the same three steps: collect, move, finalize.
 */
int migrate_vma_setup(struct migrate_vma *req);
int migrate_device_range(unsigned long *src_pfns, unsigned long first,
			 unsigned long nr);
void migrate_vma_pages(struct migrate_vma *req);
void migrate_device_pages(unsigned long *src_pfns, unsigned long *dst_pfns,
			  unsigned long nr);
void migrate_vma_finalize(struct migrate_vma *req);
void migrate_device_finalize(unsigned long *src_pfns, unsigned long *dst_pfns,
			     unsigned long nr);
#endif /* CONFIG_MIGRATION */

#endif /* _LINUX_MIGRATE_H */
