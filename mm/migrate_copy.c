// SPDX-License-Identifier: GPL-2.0
/*
 * Page migration, contents step: copy the pages of a batch of src folios
 * to their dst folios.
 *
 * A batch that holds at least copy_min_bytes is shared: its pages are
 * claimed in chunks of COPY_CHUNK_PAGES base pages (a chunk may start or
 * end in the middle of a large folio) by the caller and by helpers, work
 * items of an unbound workqueue on CPUs of the target node, until none is
 * left.  The caller starts at once and never waits for a helper that has
 * not started: it cancels those, and waits only for the chunks in
 * flight, spinning for about as long as it takes itself to copy a chunk
 * before it sleeps.  A helper that starts late, or whose CPU is busy,
 * costs at most a chunk.  Smaller batches, and callers that cannot sleep,
 * copy alone, exactly as before.
 *
 * The knobs and counters live in /sys/kernel/mm/migrate/:
 *   copy_threads           0 (automatic: the CPUs of the target node,
 *                          at most COPY_AUTO_MAX_THREADS, while sharing
 *                          pays) or 1..32, the caller included
 *   copy_min_bytes         PAGE_SIZE..1 GiB, one PMD-sized THP by default
 *   copy_worker_pages      base pages copied by helpers (read only)
 *   copy_parallel_batches  batches shared with helpers (read only)
 *   copy_auto_solo_batches large batches automatic mode copied alone,
 *                          sharing being slower (read only)
 *
 * Names follow the key at the top of mm/migrate.c.
 */
#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/kobject.h>
#include <linux/math64.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/timekeeping.h>
#include <linux/topology.h>
#include <linux/workqueue.h>

#include "migrate_copy.h"

#define COPY_MAX_THREADS	32
#define COPY_AUTO_MAX_THREADS	8
#define COPY_MIN_BYTES_LIMIT	SZ_1G
/*
 * Pages per claim: small enough that a helper preempted mid-chunk holds
 * the batch up by little, large enough that the lock is taken rarely.
 */
#define COPY_CHUNK_PAGES	64
/* The longest the caller spins for a helper's last chunk. */
#define COPY_SPIN_MAX_NS	NSEC_PER_MSEC

static unsigned long copy_threads;
static unsigned long copy_min_bytes = SZ_2M;
static unsigned long copy_chunk_pages = COPY_CHUNK_PAGES;
static atomic_long_t copy_worker_pages = ATOMIC_LONG_INIT(0);
static atomic_long_t copy_parallel_batches = ATOMIC_LONG_INIT(0);
static atomic_long_t copy_auto_solo_batches = ATOMIC_LONG_INIT(0);
static struct workqueue_struct *copy_wq;

/*
 * Automatic mode shares a batch only while sharing pays on this machine:
 * threads add nothing where memory, not the CPU, is the limit, or where
 * the "CPUs" are threads of one host core.  It keeps the time per page
 * of the large batches it copied shared and solo (a running average,
 * 0 before the first), takes the faster way, and every
 * COPY_PROBE_EVERY-th batch the other one, to follow changes of load.
 * It keeps them per class of batch size (copy_auto_class()): waking
 * helpers costs the same for every batch, the copy it shares does not.
 */
#define COPY_PROBE_EVERY	32
#define COPY_AUTO_CLASSES	4

struct copy_auto {
	atomic_long_t nth;		/* large batches decided */
	unsigned long solo_ns;		/* per page, copied alone */
	unsigned long shared_ns;	/* per page, shared */
};

static struct copy_auto copy_auto[COPY_AUTO_CLASSES];

/*
 * A position in the batch: page @page of the pair (@dst, @src).  The
 * next pair is the next entry of each folio's ->lru list, or, in a batch
 * kept in an array, the entry after @pair.
 */
struct copy_cursor {
	struct folio *dst;
	struct folio *src;
	unsigned long page;
	const struct migrate_copy_pair *pair;	/* NULL: ->lru lists */
};

/* The pages of a batch not claimed yet, shared by all who copy it. */
struct copy_share {
	spinlock_t lock;		/* guards next and left */
	struct copy_cursor next;	/* the first page not claimed */
	unsigned long left;		/* pages not claimed */
	unsigned long chunk;		/* pages per claim */
};

/* A helper: a work item that copies chunks of @share. */
struct copy_helper {
	struct work_struct work;
	struct copy_share *share;
	bool done;			/* set last: *share no longer used */
};

/* Past the end of its pair, @c moves to the start of the next one. */
static void copy_cursor_settle(struct copy_cursor *c)
{
	if (c->page < folio_nr_pages(c->src))
		return;
	if (c->pair) {
		c->pair++;
		c->dst = c->pair->dst;
		c->src = c->pair->src;
	} else {
		c->dst = list_next_entry(c->dst, lru);
		c->src = list_next_entry(c->src, lru);
	}
	c->page = 0;
}

/*
 * Move @c on by @nr pages.  It stops on the last page copied rather
 * than past it, so that it never looks beyond the end of the batch.
 */
static void copy_cursor_advance(struct copy_cursor *c, unsigned long nr)
{
	while (nr) {
		unsigned long room;

		copy_cursor_settle(c);
		room = min(folio_nr_pages(c->src) - c->page, nr);
		c->page += room;
		nr -= room;
	}
}

static void copy_share_init(struct copy_share *share,
			    struct copy_cursor start, unsigned long nr_pages,
			    unsigned long chunk)
{
	spin_lock_init(&share->lock);
	share->next = start;
	share->left = nr_pages;
	share->chunk = max(chunk, 1UL);
}

/*
 * Claim the next chunk of @share: its start in *@from.
 * Return: the pages claimed, 0 when none is left.
 */
static unsigned long copy_claim(struct copy_share *share,
				struct copy_cursor *from)
{
	unsigned long nr;

	spin_lock(&share->lock);
	nr = min(share->left, share->chunk);
	if (nr) {
		*from = share->next;
		copy_cursor_advance(&share->next, nr);
		share->left -= nr;
	}
	spin_unlock(&share->lock);
	return nr;
}

/*
 * How many helpers to ask for: one per thread but the caller's, and no
 * more than there are chunks for them beside the caller's first.
 */
static unsigned int copy_nr_helpers(unsigned int threads,
				    unsigned long nr_pages,
				    unsigned long chunk)
{
	unsigned long chunks = DIV_ROUND_UP(nr_pages, max(chunk, 1UL));

	if (threads < 2 || chunks < 2)
		return 0;
	return min_t(unsigned long, threads, chunks) - 1;
}

/* Copy @nr pages from @from.  Sleeps only between pages. */
static void copy_run(struct copy_cursor from, unsigned long nr)
{
	while (nr) {
		copy_cursor_settle(&from);
		copy_highpage(folio_page(from.dst, from.page),
			      folio_page(from.src, from.page));
		from.page++;
		if (--nr)
			cond_resched();
	}
}

/*
 * Copy chunks of @share until none is left.
 * Return: the pages this thread copied.
 */
static unsigned long copy_share_drain(struct copy_share *share)
{
	struct copy_cursor from;
	unsigned long nr, done = 0;

	while ((nr = copy_claim(share, &from))) {
		copy_run(from, nr);
		done += nr;
	}
	return done;
}

static void copy_helper_fn(struct work_struct *work)
{
	struct copy_helper *helper = container_of(work, struct copy_helper,
						  work);

	atomic_long_add(copy_share_drain(helper->share), &copy_worker_pages);
	/* From here on the caller may free *helper (workqueue allows it). */
	smp_store_release(&helper->done, true);
}

static void copy_helpers_start(struct copy_helper *helpers, unsigned int nr,
			       struct copy_share *share, int nid)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		helpers[i].share = share;
		helpers[i].done = false;
		INIT_WORK(&helpers[i].work, copy_helper_fn);
		queue_work_node(nid, copy_wq, &helpers[i].work);
	}
}

/*
 * Spin for @helper to finish its last chunk, for at most @budget_ns:
 * a virtual machine's CPU left idle may take longer to wake than the
 * rest of a chunk takes to copy.
 * Return: true when it is done.
 */
static bool copy_helper_spin(struct copy_helper *helper, u64 budget_ns)
{
	u64 start = local_clock();

	/* Pairs with the release in copy_helper_fn(): its copy is seen. */
	while (!smp_load_acquire(&helper->done)) {
		if (need_resched() || local_clock() - start > budget_ns)
			return false;
		cpu_relax();
	}
	return true;
}

/*
 * After the caller found nothing left to claim: a helper not started
 * yet has nothing to do, one at work finishes its chunk, which the
 * caller waits for spinning up to @budget_ns, then sleeping.
 */
static void copy_helpers_finish(struct copy_helper *helpers, unsigned int nr,
				u64 budget_ns)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		if (cancel_work(&helpers[i].work))
			continue;
		if (!copy_helper_spin(&helpers[i], budget_ns))
			flush_work(&helpers[i].work);
	}
}

/*
 * The caller's part of a shared batch.
 * Return: how long it took the caller to copy one chunk, on average
 * (at most COPY_SPIN_MAX_NS): the longest a helper's last chunk should
 * keep it waiting.
 */
static u64 copy_share_drain_timed(struct copy_share *share)
{
	u64 start = local_clock();
	unsigned long done = copy_share_drain(share);
	u64 ns = local_clock() - start;

	if (!done)
		return 0;
	return min_t(u64, div_u64(ns, DIV_ROUND_UP(done, share->chunk)),
		     COPY_SPIN_MAX_NS);
}

/*
 * Should the batch be shared out, and among how many threads?  *@automatic
 * says whether the number is automatic mode's, for it to time.
 */
static unsigned int copy_want_threads(const struct folio *dst,
				      unsigned long nr_pages, bool *automatic)
{
	/* The knob's range keeps it small. */
	unsigned int want = READ_ONCE(copy_threads);

	*automatic = false;
	if (nr_pages < 2 || !copy_wq)
		return 1;
	if (nr_pages * PAGE_SIZE < READ_ONCE(copy_min_bytes))
		return 1;
	/* aio copies its ring under a spinlock; reclaim must not wait. */
	if (!in_task() || irqs_disabled() || (current->flags & PF_MEMALLOC))
		return 1;
	if (want)
		return want;
	want = nr_cpus_node(folio_nid(dst));
	if (!want)
		want = nr_cpus_node(numa_node_id());
	want = clamp_t(unsigned int, want, 1, COPY_AUTO_MAX_THREADS);
	*automatic = want > 1;
	return want;
}

/*
 * Share the @nth large batch of automatic mode?  Whichever way has no
 * time yet is tried first, sharing before solo.
 */
static bool copy_auto_pick(unsigned long solo_ns, unsigned long shared_ns,
			   unsigned long nth)
{
	bool share;

	if (!shared_ns)
		return true;
	if (!solo_ns)
		return false;
	share = shared_ns < solo_ns;
	return nth % COPY_PROBE_EVERY ? share : !share;
}

/*
 * The class of a batch of @nr_pages: under 4 MiB, under 16 MiB, under
 * 64 MiB, or more; each class is four times the one before.
 */
static unsigned int copy_auto_class(unsigned long nr_pages)
{
	unsigned int order = ilog2(max(nr_pages, 1UL)) + PAGE_SHIFT;

	if (order < ilog2(SZ_4M))
		return 0;
	return min_t(unsigned int, (order - ilog2(SZ_4M)) / 2 + 1,
		     COPY_AUTO_CLASSES - 1);
}

/* Fold the time a large batch took into its way's running average. */
static void copy_auto_learn(struct copy_auto *a, bool shared, u64 ns,
			    unsigned long nr_pages)
{
	unsigned long *avg = shared ? &a->shared_ns : &a->solo_ns;
	unsigned long per_page = max_t(u64, div_u64(ns, nr_pages), 1);
	unsigned long old = READ_ONCE(*avg);

	/* Racy on purpose: a lost update only costs a sample. */
	WRITE_ONCE(*avg, old ? (3 * old + per_page) / 4 : per_page);
}

/* Copy a batch of @nr_pages pages from @start, shared out if it pays. */
static void copy_batch(struct copy_cursor start, unsigned long nr_pages)
{
	unsigned long chunk = READ_ONCE(copy_chunk_pages);
	struct copy_helper *helpers = NULL;
	struct copy_auto *a = NULL;
	struct copy_share share;
	unsigned int threads, nr_helpers;
	bool learn;
	u64 t0 = 0;

	VM_BUG_ON_FOLIO(!folio_test_locked(start.src), start.src);
	VM_BUG_ON_FOLIO(!folio_test_locked(start.dst), start.dst);

	threads = copy_want_threads(start.dst, nr_pages, &learn);
	if (learn) {
		a = &copy_auto[copy_auto_class(nr_pages)];
		if (!copy_auto_pick(READ_ONCE(a->solo_ns),
				    READ_ONCE(a->shared_ns),
				    atomic_long_inc_return(&a->nth))) {
			threads = 1;
			atomic_long_inc(&copy_auto_solo_batches);
		}
		t0 = ktime_get_ns();
	}
	nr_helpers = copy_nr_helpers(threads, nr_pages, chunk);
	if (nr_helpers)
		helpers = kmalloc_array(nr_helpers, sizeof(*helpers),
					GFP_NOWAIT | __GFP_NOWARN);
	if (!helpers) {
		/* Alone: no chunks, no lock. */
		nr_helpers = 0;
		copy_run(start, nr_pages);
	} else {
		copy_share_init(&share, start, nr_pages, chunk);
		atomic_long_inc(&copy_parallel_batches);
		copy_helpers_start(helpers, nr_helpers, &share,
				   folio_nid(start.dst));
		copy_helpers_finish(helpers, nr_helpers,
				    copy_share_drain_timed(&share));
		kfree(helpers);
	}

	if (learn)
		copy_auto_learn(a, nr_helpers > 0, ktime_get_ns() - t0,
				nr_pages);
}

/**
 * migrate_copy_folios - Copy the contents of a batch of folios.
 * @dst: The first destination folio.
 * @src: The first source folio, of the same size as @dst.
 * @nr_pages: Base pages to copy in all.
 *
 * Copies @nr_pages pages starting with the pair (@dst, @src) and going
 * on, when they are used up, with the next entry of each one's ->lru
 * list, pair after pair.  A single pair needs no list:
 * @nr_pages = folio_nr_pages(@src).  Only the contents are copied, never
 * the flags; @src is only read.
 *
 * Context: Both folios of every pair locked, @src unmapped.  May sleep
 *	when @nr_pages > 1, unless called with interrupts disabled.
 * Return: Nothing.
 */
void migrate_copy_folios(struct folio *dst, struct folio *src,
			 unsigned long nr_pages)
{
	copy_batch((struct copy_cursor){ .dst = dst, .src = src }, nr_pages);
}

/**
 * migrate_copy_pairs - Copy the contents of a batch kept in an array.
 * @pairs: The folios, each dst of the same size as its src.
 * @nr: Entries of @pairs, at least one.
 *
 * As migrate_copy_folios(), for folios whose ->lru is not free to chain
 * them: a hugetlb dst sits on its hstate's active list.
 *
 * Context: Both folios of every pair locked, each src unmapped.  May
 *	sleep.
 * Return: Nothing.
 */
void migrate_copy_pairs(const struct migrate_copy_pair *pairs,
			unsigned int nr)
{
	struct copy_cursor start = {
		.dst = pairs[0].dst, .src = pairs[0].src, .pair = pairs,
	};
	unsigned long nr_pages = 0;
	unsigned int i;

	for (i = 0; i < nr; i++)
		nr_pages += folio_nr_pages(pairs[i].src);
	copy_batch(start, nr_pages);
}

#ifdef CONFIG_SYSFS
/* A number in /sys/kernel/mm/migrate/ that takes values in [min, max]. */
struct copy_knob {
	struct kobj_attribute attr;
	unsigned long *val;
	unsigned long min, max;
};

static ssize_t copy_knob_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	struct copy_knob *knob = container_of(attr, struct copy_knob, attr);

	return sysfs_emit(buf, "%lu\n", READ_ONCE(*knob->val));
}

static ssize_t copy_knob_store(struct kobject *kobj,
			       struct kobj_attribute *attr,
			       const char *buf, size_t count)
{
	struct copy_knob *knob = container_of(attr, struct copy_knob, attr);
	unsigned long val;

	if (kstrtoul(buf, 0, &val) || val < knob->min || val > knob->max)
		return -EINVAL;
	WRITE_ONCE(*knob->val, val);
	return count;
}

static struct copy_knob copy_threads_knob = {
	.attr = __ATTR(copy_threads, 0644, copy_knob_show, copy_knob_store),
	.val = &copy_threads,
	.min = 0,
	.max = COPY_MAX_THREADS,
};

static struct copy_knob copy_min_bytes_knob = {
	.attr = __ATTR(copy_min_bytes, 0644, copy_knob_show, copy_knob_store),
	.val = &copy_min_bytes,
	.min = PAGE_SIZE,
	.max = COPY_MIN_BYTES_LIMIT,
};

static ssize_t copy_worker_pages_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&copy_worker_pages));
}

static ssize_t copy_parallel_batches_show(struct kobject *kobj,
					  struct kobj_attribute *attr,
					  char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&copy_parallel_batches));
}

static ssize_t copy_auto_solo_batches_show(struct kobject *kobj,
					   struct kobj_attribute *attr,
					   char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&copy_auto_solo_batches));
}

static struct kobj_attribute copy_worker_pages_attr =
	__ATTR_RO(copy_worker_pages);
static struct kobj_attribute copy_parallel_batches_attr =
	__ATTR_RO(copy_parallel_batches);
static struct kobj_attribute copy_auto_solo_batches_attr =
	__ATTR_RO(copy_auto_solo_batches);

static struct attribute *migrate_attrs[] = {
	&copy_threads_knob.attr.attr,
	&copy_min_bytes_knob.attr.attr,
	&copy_worker_pages_attr.attr,
	&copy_parallel_batches_attr.attr,
	&copy_auto_solo_batches_attr.attr,
	NULL,
};

static const struct attribute_group migrate_attr_group = {
	.attrs = migrate_attrs,
};

static void __init copy_sysfs_init(void)
{
	struct kobject *kobj = kobject_create_and_add("migrate", mm_kobj);

	if (!kobj || sysfs_create_group(kobj, &migrate_attr_group)) {
		pr_warn("migrate: no /sys/kernel/mm/migrate\n");
		kobject_put(kobj);
	}
}
#else
static inline void copy_sysfs_init(void) { }
#endif /* CONFIG_SYSFS */

static int __init migrate_copy_init(void)
{
	/* Copying frees memory in the end: reclaim may wait for it. */
	copy_wq = alloc_workqueue("migrate_copy", WQ_UNBOUND | WQ_MEM_RECLAIM,
				  0);
	if (!copy_wq)
		pr_warn("migrate: no copy workqueue, copying on one CPU\n");
	copy_sysfs_init();
	return 0;
}
subsys_initcall(migrate_copy_init);

#ifdef CONFIG_MIGRATE_KUNIT_TEST
#include "migrate_copy-test.h"
#endif
