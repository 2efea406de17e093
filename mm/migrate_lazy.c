// SPDX-License-Identifier: GPL-2.0
/*
 * Migrate on next touch: mbind(MPOL_MF_MOVE | MPOL_MF_LAZY).
 *
 * The call installs its policy (with MPOL_F_MOF) and, instead of moving
 * the pages an eager mbind() would move, turns their ptes and PMDs into
 * NUMA-hinting (PROT_NONE) entries.  The first touch of such a page takes
 * a hinting fault: mpol_misplaced() names the node (the policy's, or the
 * toucher's for MPOL_LOCAL) and migrate_misplaced_page() moves it, in the
 * faulting task, with mmap_lock held for read only.
 *
 * Where no hinting fault can happen (hugetlb, inaccessible VMAs,
 * VM_MIXEDMAP) the pages move during the call, as with an eager mbind().
 */
#include <linux/mm.h>
#include <linux/mm_inline.h>
#include <linux/migrate.h>
#include <linux/mempolicy.h>
#include <linux/pagewalk.h>
#include <linux/mmu_notifier.h>
#include <linux/huge_mm.h>
#include <linux/vmstat.h>
#include <asm/tlbflush.h>

/* One lazy mbind() call's walk. */
struct lazy_walk {
	const nodemask_t *nmask;	/* the policy's nodes, empty for LOCAL */
	unsigned long flags;		/* the call's MPOL_MF_* flags */
	unsigned long marked;		/* ptes and PMDs made PROT_NONE */
};

/**
 * migrate_lazy_vma - Are the pages of @vma marked rather than moved?
 * @vma: A VMA in the range of an mbind() call.
 * @flags: The call's MPOL_MF_* flags.
 *
 * Context: mmap_lock held.
 * Return: true if @flags ask for a lazy move and @vma can take the
 *	NUMA-hinting faults that do it; false if its pages move now.
 */
bool migrate_lazy_vma(struct vm_area_struct *vma, unsigned long flags)
{
	mmap_assert_locked(vma->vm_mm);
	if (!(flags & MPOL_MF_LAZY))
		return false;
	return !is_vm_hugetlb_page(vma) && vma_is_accessible(vma) &&
	       !(vma->vm_flags & VM_MIXEDMAP);
}

/*
 * Would an eager mbind() move @folio?  Then the lazy one marks it.  KSM
 * and pinned folios are left alone: their touch could not move them.
 */
static bool lazy_wants(struct folio *folio, const struct lazy_walk *lw)
{
	if (node_isset(folio_nid(folio), *lw->nmask))
		return false;
	if (folio_test_ksm(folio) || folio_maybe_dma_pinned(folio))
		return false;
	/* As eagerly: a folio shared with other processes needs MOVE_ALL. */
	return (lw->flags & MPOL_MF_MOVE_ALL) || folio_mapcount(folio) == 1;
}

/* Make a present pte a hinting entry that keeps its write permission. */
static void lazy_mark_pte(struct vm_area_struct *vma, unsigned long addr,
			  pte_t *ptep)
{
	pte_t old = ptep_modify_prot_start(vma, addr, ptep);
	pte_t new = pte_modify(old, PAGE_NONE);

	if (pte_write(old))
		new = pte_mk_savedwrite(new);
	ptep_modify_prot_commit(vma, addr, ptep, old, new);
}

/* A THP mapped by @pmd, whose lock @ptl is held: mark it whole. */
static void lazy_mark_thp(struct vm_area_struct *vma, unsigned long addr,
			  pmd_t *pmd, spinlock_t *ptl, struct lazy_walk *lw)
	__releases(ptl)
{
	pmd_t old, new;
	struct page *page;

	if (!pmd_trans_huge(*pmd) || pmd_protnone(*pmd))
		goto unlock;
	page = pmd_page(*pmd);
	if (is_huge_zero_page(page) || !lazy_wants(page_folio(page), lw))
		goto unlock;
	/* Flushes the PMD's TLB entry, keeping its accessed and dirty bits. */
	old = pmdp_invalidate_ad(vma, addr & HPAGE_PMD_MASK, pmd);
	new = pmd_modify(old, PAGE_NONE);
	if (pmd_write(old))
		new = pmd_mk_savedwrite(new);
	set_pmd_at(vma->vm_mm, addr & HPAGE_PMD_MASK, pmd, new);
	lw->marked++;
unlock:
	spin_unlock(ptl);
}

static int lazy_pmd_entry(pmd_t *pmd, unsigned long addr, unsigned long end,
			  struct mm_walk *walk)
{
	struct vm_area_struct *vma = walk->vma;
	struct lazy_walk *lw = walk->private;
	pte_t *start_pte, *pte;
	struct page *page;
	spinlock_t *ptl;	/* the PMD's or the pte table's */

	ptl = pmd_trans_huge_lock(pmd, vma);
	if (ptl) {
		__acquire(ptl);	/* taken by pmd_trans_huge_lock(), for sparse */
		lazy_mark_thp(vma, addr, pmd, ptl, lw);
		return 0;
	}
	if (pmd_trans_unstable(pmd))
		return 0;

	start_pte = pte_offset_map_lock(walk->mm, pmd, addr, &ptl);
	for (pte = start_pte; addr != end; pte++, addr += PAGE_SIZE) {
		if (!pte_present(*pte) || pte_protnone(*pte))
			continue;
		page = vm_normal_page(vma, addr, *pte);
		/* A pte-mapped THP takes no hinting fault (do_numa_page()). */
		if (!page || is_zone_device_page(page) || PageReserved(page) ||
		    PageCompound(page))
			continue;
		if (!lazy_wants(page_folio(page), lw))
			continue;
		lazy_mark_pte(vma, addr, pte);
		lw->marked++;
	}
	pte_unmap_unlock(start_pte, ptl);
	cond_resched();
	return 0;
}

static const struct mm_walk_ops lazy_walk_ops = {
	.pmd_entry = lazy_pmd_entry,
};

/*
 * Mark [@start, @end) of @vma; one TLB flush for its ptes.  Until that
 * flush, other CPUs may still hold the old entries: the pending count
 * makes a migration that clears a marked pte meanwhile flush it anyway
 * (pte_accessible()).
 */
static void lazy_mark_vma(struct vm_area_struct *vma, unsigned long start,
			  unsigned long end, struct lazy_walk *lw)
{
	struct mmu_notifier_range range;
	unsigned long before = lw->marked;

	mmu_notifier_range_init(&range, MMU_NOTIFY_PROTECTION_VMA, 0, vma,
				vma->vm_mm, start, end);
	inc_tlb_flush_pending(vma->vm_mm);
	mmu_notifier_invalidate_range_start(&range);
	walk_page_range(vma->vm_mm, start, end, &lazy_walk_ops, lw);
	if (lw->marked != before)
		flush_tlb_range(vma, start, end);
	mmu_notifier_invalidate_range_end(&range);
	dec_tlb_flush_pending(vma->vm_mm);
}

/**
 * migrate_lazy_mark - Leave the moves of a lazy mbind() to the next touch.
 * @mm: The caller's mm.
 * @start: Start of the range.
 * @end: End of the range.
 * @nmask: The nodes of the new policy: a page on another node is
 *	misplaced.  Empty for MPOL_LOCAL, where every page is.
 * @flags: The call's MPOL_MF_* flags, with MPOL_MF_LAZY.
 *
 * Marks the pages that an eager mbind() with @flags would move, in the
 * VMAs migrate_lazy_vma() accepts, as NUMA-hinting entries.
 *
 * Context: mmap_lock held for write.
 * Return: Nothing; the marks count in numa_pte_updates.
 */
void migrate_lazy_mark(struct mm_struct *mm, unsigned long start,
		       unsigned long end, const nodemask_t *nmask,
		       unsigned long flags)
{
	VMA_ITERATOR(vmi, mm, start);
	struct lazy_walk lw = { .nmask = nmask, .flags = flags };
	struct vm_area_struct *vma;

	mmap_assert_write_locked(mm);
	for_each_vma_range(vmi, vma, end) {
		if (!migrate_lazy_vma(vma, flags) || !vma_migratable(vma))
			continue;
		lazy_mark_vma(vma, max(start, vma->vm_start),
			      min(end, vma->vm_end), &lw);
	}
	count_vm_numa_events(NUMA_PTE_UPDATES, lw.marked);
}

/**
 * migrate_lazy_policy - Is @vma's policy one a lazy mbind() installed?
 * @vma: The VMA a NUMA-hinting fault hit.
 *
 * MPOL_F_MOF without MPOL_F_MORON is set by mbind(MPOL_MF_LAZY) alone;
 * NUMA balancing's policies carry both.
 *
 * Context: mmap_lock held.
 * Return: true if a touch in @vma is a lazy mbind()'s move.
 */
bool migrate_lazy_policy(struct vm_area_struct *vma)
{
	struct mempolicy *pol = vma->vm_policy;

	mmap_assert_locked(vma->vm_mm);
	return pol && (pol->flags & (MPOL_F_MOF | MPOL_F_MORON)) == MPOL_F_MOF;
}
