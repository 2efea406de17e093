// SPDX-License-Identifier: GPL-2.0
/*
 * Page migration, page-table side.
 *
 * While a folio is being moved every pte (or pmd) that mapped it holds a
 * migration entry, installed by try_to_migrate().  This file turns those
 * entries back into present mappings once the move is over, and lets a
 * task that faults on such an entry sleep until the move has finished.
 *
 * Names follow the key at the top of mm/migrate.c: @src is the folio the
 * migration entries point at, @dst the folio the restored ptes will map.
 * On a failed move both are the same folio.
 */
#include <linux/mm.h>
#include <linux/migrate.h>
#include <linux/swapops.h>
#include <linux/rmap.h>
#include <linux/hugetlb.h>
#include <linux/pagemap.h>
#include <linux/memremap.h>
#include <linux/userfaultfd_k.h>

#include <asm/tlbflush.h>

#include <trace/events/migrate.h>

#include "internal.h"

/*
 * Turn the migration entry @old into a present pte for @page, taking the
 * access rights, A/D bits, soft-dirty and uffd-wp state the entry kept.
 */
static pte_t mpte_from_entry(struct vm_area_struct *vma, struct folio *dst,
			     struct page *page, pte_t old)
{
	swp_entry_t entry = pte_to_swp_entry(old);
	pte_t pte = mk_pte(page, READ_ONCE(vma->vm_page_prot));
	bool writable = is_writable_migration_entry(entry);

	if (!is_migration_entry_young(entry))
		pte = pte_mkold(pte);
	if (is_migration_entry_dirty(entry) && folio_test_dirty(dst))
		pte = pte_mkdirty(pte);
	if (pte_swp_soft_dirty(old))
		pte = pte_mksoft_dirty(pte);

	/* The vma may have changed since the entry was made: recheck it. */
	if (writable)
		return maybe_mkwrite(pte, vma);
	if (pte_swp_uffd_wp(old))
		return pte_mkuffd_wp(pte);
	return pte_wrprotect(pte);
}

/*
 * Device-private memory is never mapped by a present pte: re-encode
 * @pte as a device-private swap entry, keeping the software bits of @old.
 */
static pte_t mpte_device_private(struct page *page, pte_t pte, pte_t old)
{
	unsigned long pfn = page_to_pfn(page);
	pte_t out;

	if (pte_write(pte))
		out = swp_entry_to_pte(make_writable_device_private_entry(pfn));
	else
		out = swp_entry_to_pte(make_readable_device_private_entry(pfn));

	if (pte_swp_uffd_wp(old))
		out = pte_swp_mkuffd_wp(out);
	if (pte_swp_soft_dirty(old))
		out = pte_swp_mksoft_dirty(out);
	return out;
}

#ifdef CONFIG_HUGETLB_PAGE
/* Map the hugetlb folio @dst at the walk position; pte lock held. */
static void mpte_set_hugetlb(struct page_vma_mapped_walk *pvmw,
			     struct folio *dst, pte_t pte, rmap_t rmap_flags)
{
	struct vm_area_struct *vma = pvmw->vma;
	unsigned int shift = huge_page_shift(hstate_vma(vma));

	pte = arch_make_huge_pte(pte_mkhuge(pte), shift, vma->vm_flags);
	if (!folio_test_anon(dst))
		page_dup_file_rmap(&dst->page, true);
	else
		hugepage_add_anon_rmap(&dst->page, vma, pvmw->address,
				       rmap_flags);
	set_huge_pte_at(vma->vm_mm, pvmw->address, pvmw->pte, pte);
}
#else
static void mpte_set_hugetlb(struct page_vma_mapped_walk *pvmw,
			     struct folio *dst, pte_t pte, rmap_t rmap_flags)
{
	WARN_ON_ONCE(1);
}
#endif

/*
 * Map @page of @dst at the walk position, with the rmap accounting and
 * the caller's reference on @dst going to the new pte.  Pte lock held.
 */
static void mpte_set(struct page_vma_mapped_walk *pvmw, struct folio *dst,
		     struct page *page, pte_t pte, rmap_t rmap_flags)
{
	struct vm_area_struct *vma = pvmw->vma;

	if (folio_test_hugetlb(dst)) {
		mpte_set_hugetlb(pvmw, dst, pte, rmap_flags);
	} else {
		if (folio_test_anon(dst))
			page_add_anon_rmap(page, vma, pvmw->address,
					   rmap_flags);
		else
			page_add_file_rmap(page, vma, false);
		set_pte_at(vma->vm_mm, pvmw->address, pvmw->pte, pte);
	}

	/* An mlocked folio may have been added to this CPU's batch. */
	if (vma->vm_flags & VM_LOCKED)
		mlock_page_drain_local();
	trace_remove_migration_pte(pvmw->address, pte_val(pte),
				   compound_order(page));
	/* The old entry was not present: there is nothing to invalidate. */
	update_mmu_cache(vma, pvmw->address, pvmw->pte);
}

/* Which page of @dst belongs at the walk position. */
static struct page *mpte_page(struct page_vma_mapped_walk *pvmw,
			      struct folio *dst)
{
	unsigned long nr;

	/* KSM folios have no usable index, but they are never large. */
	if (!folio_test_large(dst) || folio_test_hugetlb(dst))
		return &dst->page;
	nr = linear_page_index(pvmw->vma, pvmw->address) - pvmw->pgoff;
	return folio_page(dst, nr);
}

/*
 * rmap_walk() callback: replace every migration entry for @arg (the
 * source folio) in @vma by a mapping of @dst.
 */
static bool mpte_restore_vma(struct folio *dst, struct vm_area_struct *vma,
			     unsigned long addr, void *arg)
{
	DEFINE_FOLIO_VMA_WALK(pvmw, (struct folio *)arg, vma, addr,
			      PVMW_SYNC | PVMW_MIGRATION);

	while (page_vma_mapped_walk(&pvmw)) {
		struct page *page = mpte_page(&pvmw, dst);
		rmap_t rmap_flags = RMAP_NONE;
		pte_t old, pte;

#ifdef CONFIG_ARCH_ENABLE_THP_MIGRATION
		if (!pvmw.pte) {
			/* A whole PMD-mapped THP. */
			VM_BUG_ON_FOLIO(folio_test_hugetlb(dst) ||
					!folio_test_pmd_mappable(dst), dst);
			remove_migration_pmd(&pvmw, page);
			continue;
		}
#endif
		old = *pvmw.pte;
		pte = mpte_from_entry(vma, dst, page, old);
		if (folio_test_anon(dst) &&
		    !is_readable_migration_entry(pte_to_swp_entry(old)))
			rmap_flags |= RMAP_EXCLUSIVE;
		if (unlikely(is_device_private_page(page)))
			pte = mpte_device_private(page, pte, old);

		folio_get(dst);
		mpte_set(&pvmw, dst, page, pte, rmap_flags);
	}
	return true;
}

/**
 * remove_migration_ptes - Replace migration entries by real mappings.
 * @src: The folio the migration entries refer to.
 * @dst: The folio to map instead; equal to @src when a move failed.
 * @locked: True if the caller already holds the rmap lock of @dst
 *	(i_mmap_rwsem for hugetlb shared mappings).
 *
 * Walks every mapping of @dst and turns each migration entry for @src
 * into a present pte (or pmd) mapping the matching page of @dst.
 *
 * Context: Process context, may sleep unless @locked.  @dst is locked.
 * Return: Nothing.
 */
void remove_migration_ptes(struct folio *src, struct folio *dst, bool locked)
{
	struct rmap_walk_control rwc = {
		.arg = src,
		.rmap_one = mpte_restore_vma,
	};
	void (*walk)(struct folio *folio, struct rmap_walk_control *rwc);

	/* Both walkers check that @dst is locked. */
	walk = locked ? rmap_walk_locked : rmap_walk;
	walk(dst, &rwc);
}

/**
 * __migration_entry_wait - Wait for the migration a pte points at.
 * @mm: The mm of the faulting task (unused, kept for the interface).
 * @ptep: The mapped pte that faulted.
 * @ptl: The page-table lock covering @ptep.
 *
 * If *@ptep still holds a migration entry, sleep until the folio it
 * names is unlocked, i.e. until the move is over.  The fault is then
 * retried by the caller.
 *
 * Context: Process context.  @ptl is not held on entry; it is taken and
 *	released, and @ptep is unmapped, before return.
 * Return: Nothing.
 */
void __migration_entry_wait(struct mm_struct *mm, pte_t *ptep,
			    spinlock_t *ptl)
{
	swp_entry_t entry = { .val = 0 };
	pte_t pte;

	spin_lock(ptl);
	pte = *ptep;
	if (is_swap_pte(pte))
		entry = pte_to_swp_entry(pte);
	if (is_swap_pte(pte) && is_migration_entry(entry))
		/* Drops @ptl and unmaps @ptep for us. */
		migration_entry_wait_on_locked(entry, ptep, ptl);
	else
		pte_unmap_unlock(ptep, ptl);
}

/**
 * migration_entry_wait - Wait for the migration of a faulting address.
 * @mm: The mm of the faulting task.
 * @pmd: The pmd covering @address.
 * @address: The faulting user address.
 *
 * Context: Process context, mmap_lock held for read; may sleep.
 * Return: Nothing.
 */
void migration_entry_wait(struct mm_struct *mm, pmd_t *pmd,
			  unsigned long address)
{
	pte_t *ptep = pte_offset_map(pmd, address);

	__migration_entry_wait(mm, ptep, pte_lockptr(mm, pmd));
}

#ifdef CONFIG_HUGETLB_PAGE
/**
 * __migration_entry_wait_huge - Wait for the migration of a hugetlb page.
 * @ptep: The huge pte that faulted.
 * @ptl: The lock covering @ptep.
 *
 * Context: Process context.  @ptl is taken and released.
 * Return: Nothing.
 */
void __migration_entry_wait_huge(pte_t *ptep, spinlock_t *ptl)
{
	pte_t pte;

	spin_lock(ptl);
	pte = huge_ptep_get(ptep);
	if (likely(is_hugetlb_entry_migration(pte)))
		migration_entry_wait_on_locked(pte_to_swp_entry(pte), NULL,
					       ptl);
	else
		spin_unlock(ptl);
}

/**
 * migration_entry_wait_huge - Wait for the migration of a hugetlb page.
 * @vma: The hugetlb vma of the fault.
 * @pte: The huge pte that faulted.
 *
 * Context: Process context, may sleep.
 * Return: Nothing.
 */
void migration_entry_wait_huge(struct vm_area_struct *vma, pte_t *pte)
{
	struct hstate *h = hstate_vma(vma);

	__migration_entry_wait_huge(pte, huge_pte_lockptr(h, vma->vm_mm, pte));
}
#endif /* CONFIG_HUGETLB_PAGE */

#ifdef CONFIG_ARCH_ENABLE_THP_MIGRATION
/**
 * pmd_migration_entry_wait - Wait for the migration of a PMD-mapped THP.
 * @mm: The mm of the faulting task.
 * @pmd: The pmd that faulted.
 *
 * Context: Process context, may sleep.  Takes and drops the pmd lock.
 * Return: Nothing.
 */
void pmd_migration_entry_wait(struct mm_struct *mm, pmd_t *pmd)
{
	spinlock_t *ptl = pmd_lock(mm, pmd);

	if (!is_pmd_migration_entry(*pmd)) {
		spin_unlock(ptl);
		return;
	}
	migration_entry_wait_on_locked(pmd_to_swp_entry(*pmd), NULL, ptl);
}
#endif /* CONFIG_ARCH_ENABLE_THP_MIGRATION */
