// SPDX-License-Identifier: GPL-2.0
/*
 * Page migration between NUMA nodes on request: the move_pages() system
 * call and NUMA-balancing faults (migrate_misplaced_page()).
 *
 * Names follow the key at the top of mm/migrate.c.  A "run" is a stretch
 * of consecutive move_pages() entries bound for the same node; its pages
 * are isolated one by one and moved with one migrate_pages() call.
 */
#include <linux/mm.h>
#include <linux/migrate.h>
#include <linux/mempolicy.h>
#include <linux/pagemap.h>
#include <linux/hugetlb.h>
#include <linux/memremap.h>
#include <linux/mm_inline.h>
#include <linux/swap.h>
#include <linux/syscalls.h>
#include <linux/compat.h>
#include <linux/cpuset.h>
#include <linux/ptrace.h>
#include <linux/security.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/sched/sysctl.h>
#include <linux/memory-tiers.h>

#include "internal.h"

/*
 * A page behind a NUMA-hinting (PROT_NONE) pte is still there: 6.1.y's
 * follow_page() finds it only with FOLL_FORCE, which without FOLL_WRITE
 * means nothing else to it.  Without, move_pages() would call such a page
 * -ENOENT, or a THP -EFAULT.
 */
#define FOLL_HINTED	FOLL_FORCE

/* Entries of a query-only move_pages() looked up per mmap_lock hold. */
#define MOVE_PAGES_STAT_CHUNK	16UL

/* The pending run of a move_pages() call. */
struct move_run {
	int node;			/* target, or NUMA_NO_NODE if none */
	unsigned long first;		/* index of the run's first entry */
	struct list_head folios;	/* isolated folios of the run */
	bool lru_drained;		/* this CPU's LRU batches drained */
	bool lru_disabled;		/* every CPU's LRU batches are off */
};

/* Write @value into status[first] .. status[end - 1]. */
static int put_status_range(int __user *status, unsigned long first,
			    unsigned long end, int value)
{
	for (; first < end; first++)
		if (put_user(value, status + first))
			return -EFAULT;
	return 0;
}

/*
 * Isolate @page, if it has to move to @node, onto @list.
 * Return: 1 if queued, 0 if already on @node, -errno for its status.
 */
static int isolate_for_node(struct page *page, int node,
			    struct list_head *list, bool move_all)
{
	struct page *head;
	int err;

	if (is_zone_device_page(page))
		return -ENOENT;
	if (page_to_nid(page) == node)
		return 0;
	/* Pages shared with other processes move only with MOVE_ALL. */
	if (page_mapcount(page) > 1 && !move_all)
		return -EACCES;

	if (PageHuge(page)) {
		if (!PageHead(page))
			return -EACCES;
		err = folio_isolate_hugetlb(page, list);
		return err ? err : 1;
	}

	head = compound_head(page);
	err = isolate_lru_page(head);
	if (err)
		return err;
	list_add_tail(&head->lru, list);
	mod_node_page_state(page_pgdat(head),
			    NR_ISOLATED_ANON + page_is_file_lru(head),
			    thp_nr_pages(head));
	return 1;
}

/* Look up the page at @addr and queue it for @node, as above. */
static int queue_page_for_node(struct mm_struct *mm, unsigned long addr,
			       int node, struct list_head *list,
			       bool move_all)
{
	struct vm_area_struct *vma;
	struct page *page;
	int err = -EFAULT;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (!vma || !vma_migratable(vma))
		goto out_unlock;

	/* FOLL_DUMP: special pages such as the zero page are errors. */
	page = follow_page(vma, addr, FOLL_GET | FOLL_DUMP | FOLL_HINTED);
	if (IS_ERR_OR_NULL(page)) {
		err = page ? PTR_ERR(page) : -ENOENT;
		goto out_unlock;
	}
	err = isolate_for_node(page, node, list, move_all);
	/* The lookup reference; isolation took its own. */
	put_page(page);
out_unlock:
	mmap_read_unlock(mm);
	return err;
}

/*
 * Queue entry @addr as queue_page_for_node() does.  A folio still in a
 * per-CPU LRU batch is not on the LRU and cannot be isolated: only then
 * are batches drained, first this CPU's (where the folios this task just
 * faulted in or moved sit), then every CPU's, turning them off for the
 * rest of the call; the entry is tried again after each.  Turning them
 * off up front, as stock does, costs an expedited RCU grace period, which
 * interrupts every CPU, and a drain work item on each CPU with pages in
 * its batches: far more than moving a few pages.  A batch can still hold a
 * reference on a folio isolated before that; migrate_pages() drains
 * every CPU's batches if one keeps a folio from moving.
 */
static int queue_entry(struct move_run *run, struct mm_struct *mm,
		       unsigned long addr, int node, bool move_all)
{
	int err;

	for (;;) {
		err = queue_page_for_node(mm, addr, node, &run->folios,
					  move_all);
		if (err != -EBUSY || run->lru_disabled)
			return err;
		if (!run->lru_drained) {
			lru_add_drain();
			run->lru_drained = true;
		} else {
			lru_cache_disable();
			run->lru_disabled = true;
		}
	}
}

/*
 * Move the pending run, entries [run->first, @end), and store the node in
 * their status words.  If some did not move, return how many entries of
 * the whole request (@nr_pages) are left unmoved, counting from @end.
 */
static int flush_run(struct move_run *run, int __user *status,
		     unsigned long end, unsigned long nr_pages)
{
	struct migration_target_control mtc = {
		.nid = run->node,
		.gfp_mask = GFP_HIGHUSER_MOVABLE | __GFP_THISNODE,
	};
	int err;

	if (list_empty(&run->folios))
		return 0;
	err = migrate_pages(&run->folios, alloc_migration_target, NULL,
			    (unsigned long)&mtc, MIGRATE_SYNC, MR_SYSCALL,
			    NULL);
	if (err) {
		putback_movable_pages(&run->folios);
		return err > 0 ? err + nr_pages - end : err;
	}
	return put_status_range(status, run->first, end, run->node);
}

/* Fetch entry @i of the request: the address and the target node. */
static int read_request(const void __user * __user *pages,
			const int __user *nodes, unsigned long i,
			unsigned long *addr, int *node)
{
	const void __user *p;

	if (in_compat_syscall()) {
		compat_uptr_t __user *compat_pages = (void __user *)pages;
		compat_uptr_t cp;

		if (get_user(cp, compat_pages + i))
			return -EFAULT;
		p = compat_ptr(cp);
	} else if (get_user(p, pages + i)) {
		return -EFAULT;
	}
	if (get_user(*node, nodes + i))
		return -EFAULT;
	*addr = (unsigned long)untagged_addr(p);
	return 0;
}

static int check_target_node(int node, const nodemask_t *task_nodes)
{
	if (node < 0 || node >= MAX_NUMNODES || !node_state(node, N_MEMORY))
		return -ENODEV;
	if (!node_isset(node, *task_nodes))
		return -EACCES;
	return 0;
}

/*
 * move_pages() with a node array: move every entry to its node, one run
 * of equal targets at a time, and report a node or -errno per entry.
 * An entry that cannot be queued ends the run at once so that the
 * status words are written in order.
 */
static int do_pages_move(struct mm_struct *mm, nodemask_t task_nodes,
			 unsigned long nr_pages,
			 const void __user * __user *pages,
			 const int __user *nodes,
			 int __user *status, int flags)
{
	struct move_run run = { .node = NUMA_NO_NODE };
	bool move_all = flags & MPOL_MF_MOVE_ALL;
	unsigned long i, addr;
	int node, flush_err, err = 0;

	INIT_LIST_HEAD(&run.folios);
	for (i = 0; i < nr_pages; i++) {
		err = read_request(pages, nodes, i, &addr, &node);
		if (!err)
			err = check_target_node(node, &task_nodes);
		if (err)
			break;

		if (node != run.node) {
			err = flush_run(&run, status, i, nr_pages);
			if (err)
				goto out;
			run.node = node;
			run.first = i;
		}

		err = queue_entry(&run, mm, addr, node, move_all);
		if (err > 0)
			continue;
		/* The man page knows no -EEXIST. */
		if (err == -EEXIST)
			err = -EFAULT;
		err = put_status_range(status, i, i + 1, err ? : node);
		if (err)
			break;
		err = flush_run(&run, status, i, nr_pages);
		if (err) {
			/* Entry i is done already: do not count it. */
			if (err > 0)
				err--;
			goto out;
		}
		run.node = NUMA_NO_NODE;
	}
	/* Whatever stopped the loop, the queued run still moves. */
	flush_err = flush_run(&run, status, i, nr_pages);
	if (err >= 0)
		err = flush_err;
out:
	if (run.lru_disabled)
		lru_cache_enable();
	return err;
}

/* The node of the page at @addr, or -errno. */
static int page_node_of(struct mm_struct *mm, unsigned long addr)
{
	unsigned int foll = FOLL_DUMP | FOLL_HINTED;
	struct vm_area_struct *vma;
	struct page *page;
	int nid;

	vma = vma_lookup(mm, addr);
	if (!vma)
		return -EFAULT;
	/* Not every hugetlb lookup can take a reference. */
	if (!is_vm_hugetlb_page(vma))
		foll |= FOLL_GET;
	page = follow_page(vma, addr, foll);
	if (IS_ERR(page))
		return PTR_ERR(page);
	if (!page)
		return -ENOENT;
	nid = is_zone_device_page(page) ? -ENOENT : page_to_nid(page);
	if (foll & FOLL_GET)
		put_page(page);
	return nid;
}

/*
 * Copy entries [@first, @first + @nr) of the user's page pointers, native
 * or 32-bit compat ones.
 */
static int fetch_page_chunk(const void __user **chunk,
			    const void __user * __user *pages,
			    unsigned long first, unsigned long nr)
{
	compat_uptr_t __user *compat_pages = (compat_uptr_t __user *)pages;
	compat_uptr_t cp;
	unsigned long i;

	if (!in_compat_syscall())
		return copy_from_user(chunk, pages + first,
				      nr * sizeof(*chunk)) ? -EFAULT : 0;
	for (i = 0; i < nr; i++) {
		if (get_user(cp, compat_pages + first + i))
			return -EFAULT;
		chunk[i] = compat_ptr(cp);
	}
	return 0;
}

/* move_pages() without a node array: only report where pages are. */
static int do_pages_stat(struct mm_struct *mm, unsigned long nr_pages,
			 const void __user * __user *pages,
			 int __user *status)
{
	const void __user *chunk[MOVE_PAGES_STAT_CHUNK];
	int chunk_status[MOVE_PAGES_STAT_CHUNK];
	unsigned long done, nr, i;

	for (done = 0; done < nr_pages; done += nr) {
		nr = min(nr_pages - done, MOVE_PAGES_STAT_CHUNK);
		if (fetch_page_chunk(chunk, pages, done, nr))
			return -EFAULT;

		mmap_read_lock(mm);
		for (i = 0; i < nr; i++)
			chunk_status[i] =
				page_node_of(mm, (unsigned long)chunk[i]);
		mmap_read_unlock(mm);

		if (copy_to_user(status + done, chunk_status,
				 nr * sizeof(*chunk_status)))
			return -EFAULT;
	}
	return 0;
}

/*
 * The mm of task @pid (0: ourselves), with the nodes its cpuset allows
 * in *@mem_nodes.  Another task's memory needs ptrace read access and
 * the LSM's consent.
 */
static struct mm_struct *find_mm_struct(pid_t pid, nodemask_t *mem_nodes)
{
	struct task_struct *task;
	struct mm_struct *mm;
	int err;

	if (!pid) {
		mmget(current->mm);
		*mem_nodes = cpuset_mems_allowed(current);
		return current->mm;
	}

	task = find_get_task_by_vpid(pid);
	if (!task)
		return ERR_PTR(-ESRCH);

	mm = ERR_PTR(-EPERM);
	if (!ptrace_may_access(task, PTRACE_MODE_READ_REALCREDS))
		goto out_put_task;
	err = security_task_movememory(task);
	mm = ERR_PTR(err);
	if (err)
		goto out_put_task;
	*mem_nodes = cpuset_mems_allowed(task);
	mm = get_task_mm(task);
	if (!mm)
		mm = ERR_PTR(-EINVAL);
out_put_task:
	put_task_struct(task);
	return mm;
}

/**
 * sys_move_pages - Move pages of a process to other NUMA nodes.
 * @pid: The process, 0 for the caller.
 * @nr_pages: Number of entries in @pages (and @nodes, @status).
 * @pages: User addresses of the pages.
 * @nodes: Target node per page, or NULL to only query.
 * @status: Out: per page its node after the call, or -errno.
 * @flags: MPOL_MF_MOVE, or MPOL_MF_MOVE_ALL (CAP_SYS_NICE) to move
 *	pages shared with other processes too.
 *
 * Compat callers use the same entry point; @pages then holds 32-bit
 * pointers.
 *
 * Context: Process context, sleeps.
 * Return: 0, the number of pages not moved, or -errno.
 */
SYSCALL_DEFINE6(move_pages, pid_t, pid, unsigned long, nr_pages,
		const void __user * __user *, pages,
		const int __user *, nodes,
		int __user *, status, int, flags)
{
	nodemask_t task_nodes;
	struct mm_struct *mm;
	long err = -EINVAL;

	if (flags & ~(MPOL_MF_MOVE | MPOL_MF_MOVE_ALL))
		return err;
	/* Moving pages other processes use too is a privilege. */
	if ((flags & MPOL_MF_MOVE_ALL) && !capable(CAP_SYS_NICE))
		return -EPERM;

	mm = find_mm_struct(pid, &task_nodes);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	/* Without target nodes, only report where the pages are. */
	err = nodes ? do_pages_move(mm, task_nodes, nr_pages, pages, nodes,
				    status, flags) :
		      do_pages_stat(mm, nr_pages, pages, status);
	mmput(mm);
	return err;
}

#ifdef CONFIG_NUMA_BALANCING
/*
 * Is @pgdat a safe target for @nr misplaced pages?  Only if some zone
 * stays above its high watermark, so that kswapd is not woken for them.
 */
static bool node_has_room(struct pglist_data *pgdat, unsigned long nr)
{
	int z;

	for (z = pgdat->nr_zones - 1; z >= 0; z--) {
		struct zone *zone = pgdat->node_zones + z;

		if (managed_zone(zone) &&
		    zone_watermark_ok(zone, 0, high_wmark_pages(zone) + nr,
				      ZONE_MOVABLE, 0))
			return true;
	}
	return false;
}

/*
 * In memory-tiering mode a full fast node is made room on by kswapd,
 * demoting cold pages to the slow tier.
 */
static void make_room_for_promotion(struct pglist_data *pgdat, int order)
{
	int z;

	if (!(sysctl_numa_balancing_mode & NUMA_BALANCING_MEMORY_TIERING))
		return;
	for (z = pgdat->nr_zones - 1; z >= 0; z--) {
		if (managed_zone(pgdat->node_zones + z)) {
			wakeup_kswapd(pgdat->node_zones + z, 0, order,
				      ZONE_MOVABLE);
			return;
		}
	}
}

/* new_page_t for NUMA balancing: @node_id is the target node. */
static struct page *alloc_misplaced_dst_page(struct page *page,
					     unsigned long node_id)
{
	int order = compound_order(page);
	gfp_t gfp = __GFP_THISNODE;
	struct folio *dst;

	if (order)
		gfp |= GFP_TRANSHUGE_LIGHT;
	else
		gfp |= (GFP_HIGHUSER_MOVABLE & ~__GFP_RECLAIM) |
		       __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN;
	dst = __folio_alloc_node(gfp, order, (int)node_id);
	return dst ? &dst->page : NULL;
}

/*
 * Isolate @page for a move to @pgdat if that looks worthwhile.  On
 * success the caller's reference is dropped; isolation holds one.
 */
static bool isolate_misplaced(struct pglist_data *pgdat, struct page *page)
{
	int nr = thp_nr_pages(page);

	VM_BUG_ON_PAGE(compound_order(page) && !PageTransHuge(page), page);

	/* A THP mapped by several processes is not worth bouncing. */
	if (PageTransHuge(page) && total_mapcount(page) > 1)
		return false;
	if (!node_has_room(pgdat, nr)) {
		make_room_for_promotion(pgdat, compound_order(page));
		return false;
	}
	if (isolate_lru_page(page))
		return false;
	mod_node_page_state(page_pgdat(page),
			    NR_ISOLATED_ANON + page_is_file_lru(page), nr);
	put_page(page);
	return true;
}

/*
 * Shared executable file pages are probably libraries, fine where they
 * are; dirty file pages cannot move asynchronously on every filesystem.
 * A lazy mbind() asked for its pages, so there a dirty file page moves
 * whenever its mapping can move it without writing it back first.
 */
static bool misplaced_worth_moving(struct page *page,
				   struct vm_area_struct *vma, bool lazy)
{
	struct address_space *mapping;

	if (!page_is_file_lru(page))
		return true;
	if (PageDirty(page)) {
		mapping = page_mapping(page);
		if (!lazy || !mapping || !mapping->a_ops->migrate_folio)
			return false;
	}
	return page_mapcount(page) == 1 || !(vma->vm_flags & VM_EXEC);
}

/**
 * migrate_misplaced_page - Move a page to the node that uses it.
 * @page: The page, with a reference the caller gives up.
 * @vma: The vma the NUMA hinting fault hit.
 * @node: The node to move to.
 *
 * Shared executable file pages (libraries) and dirty file pages are
 * left where they are, but for a lazy mbind()'s (migrate_lazy_policy())
 * dirty pages of mappings that move them.  Moves asynchronously, never
 * splitting a THP.
 *
 * Context: Process context, mmap_lock held for read; no page table lock.
 * Return: 1 if the page was moved, 0 if not; either way the caller's
 *	reference is gone.
 */
int migrate_misplaced_page(struct page *page, struct vm_area_struct *vma,
			   int node)
{
	pg_data_t *pgdat = NODE_DATA(node);
	unsigned int nr_succeeded = 0;
	bool lazy = migrate_lazy_policy(vma);
	LIST_HEAD(folios);
	int nr_left;

	if (!misplaced_worth_moving(page, vma, lazy) ||
	    !isolate_misplaced(pgdat, page)) {
		put_page(page);
		return 0;
	}

	list_add(&page->lru, &folios);
	nr_left = migrate_pages(&folios, alloc_misplaced_dst_page, NULL,
				node, MIGRATE_ASYNC,
				lazy ? MR_NUMA_LAZY : MR_NUMA_MISPLACED,
				&nr_succeeded);
	/*
	 * A result of 0 leaves nothing behind; if our engine ever broke that,
	 * warn (debug kernels) and still give the page back rather than leave
	 * it on a list that dies with this frame.
	 */
	VM_WARN_ON_ONCE(!nr_left && !list_empty(&folios));
	if (!list_empty(&folios))
		putback_movable_pages(&folios);
	if (nr_succeeded) {
		count_vm_numa_events(NUMA_PAGE_MIGRATE, nr_succeeded);
		if (!node_is_toptier(page_to_nid(page)) &&
		    node_is_toptier(node))
			mod_node_page_state(pgdat, PGPROMOTE_SUCCESS,
					    nr_succeeded);
	}
	return nr_left ? 0 : 1;
}
#endif /* CONFIG_NUMA_BALANCING */
