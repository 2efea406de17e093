// SPDX-License-Identifier: GPL-2.0
/*
 * Page migration, contents step: copy the pages of a batch of src folios
 * to their dst folios.
 *
 * A batch that holds at least copy_min_bytes is cut into even shares of
 * base pages, "copy jobs", one per thread; a share may start or end in
 * the middle of a large folio.  The caller copies the first share
 * itself, the others run as work items of an unbound workqueue on CPUs
 * of the target node, and the caller waits for them.  Smaller batches,
 * and callers that cannot sleep, copy alone, exactly as before.
 *
 * The knobs and counters live in /sys/kernel/mm/migrate/:
 *   copy_threads           0 (automatic: the CPUs of the target node,
 *                          at most COPY_AUTO_MAX_THREADS, while sharing
 *                          pays) or 1..32
 *   copy_min_bytes         PAGE_SIZE..1 GiB, one PMD-sized THP by default
 *   copy_worker_pages      base pages copied by workers (read only)
 *   copy_parallel_batches  batches split across threads (read only)
 *   copy_auto_solo_batches large batches automatic mode copied alone,
 *                          sharing being slower (read only)
 *
 * Names follow the key at the top of mm/migrate.c.
 */
#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/kobject.h>
#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/sysfs.h>
#include <linux/timekeeping.h>
#include <linux/topology.h>
#include <linux/workqueue.h>

#include "migrate_copy.h"

#define COPY_MAX_THREADS	32
#define COPY_AUTO_MAX_THREADS	8
#define COPY_MIN_BYTES_LIMIT	SZ_1G

static unsigned long copy_threads;
static unsigned long copy_min_bytes = SZ_2M;
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
 */
#define COPY_PROBE_EVERY	32

struct copy_auto {
	atomic_long_t nth;		/* large batches decided */
	unsigned long solo_ns;		/* per page, copied alone */
	unsigned long shared_ns;	/* per page, shared */
};

static struct copy_auto copy_auto = { .nth = ATOMIC_LONG_INIT(0) };

/*
 * A position in the batch: page @page of the pair (@dst, @src).  The
 * next pair is the next entry of each folio's ->lru list.
 */
struct copy_cursor {
	struct folio *dst;
	struct folio *src;
	unsigned long page;
};

/* One thread's share of the batch. */
struct copy_job {
	struct work_struct work;
	struct copy_cursor from;
	unsigned long nr_pages;
};

/* Past the end of its pair, @c moves to the start of the next one. */
static void copy_cursor_settle(struct copy_cursor *c)
{
	if (c->page < folio_nr_pages(c->src))
		return;
	c->dst = list_next_entry(c->dst, lru);
	c->src = list_next_entry(c->src, lru);
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

/*
 * Cut @nr_pages pages from @start into at most @nr_jobs even shares, the
 * first ones a page longer when they do not divide evenly.
 * Return: the number of jobs filled in, 0 for an empty batch.
 */
static unsigned int copy_plan(struct copy_job *jobs, unsigned int nr_jobs,
			      struct copy_cursor start, unsigned long nr_pages)
{
	unsigned long share, longer;
	unsigned int i;

	if (!nr_pages || !nr_jobs)
		return 0;
	nr_jobs = min_t(unsigned long, nr_jobs, nr_pages);
	share = nr_pages / nr_jobs;
	longer = nr_pages % nr_jobs;
	for (i = 0; i < nr_jobs; i++) {
		jobs[i].from = start;
		jobs[i].nr_pages = share + (i < longer);
		copy_cursor_advance(&start, jobs[i].nr_pages);
	}
	return nr_jobs;
}

/* Copy one share.  Sleeps only between pages, never for a single one. */
static void copy_job_run(const struct copy_job *job)
{
	struct copy_cursor c = job->from;
	unsigned long left = job->nr_pages;

	while (left) {
		copy_cursor_settle(&c);
		copy_highpage(folio_page(c.dst, c.page),
			      folio_page(c.src, c.page));
		c.page++;
		if (--left)
			cond_resched();
	}
}

static void copy_work_fn(struct work_struct *work)
{
	struct copy_job *job = container_of(work, struct copy_job, work);

	copy_job_run(job);
	atomic_long_add(job->nr_pages, &copy_worker_pages);
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

/* Fold the time a large batch took into its way's running average. */
static void copy_auto_learn(bool shared, u64 ns, unsigned long nr_pages)
{
	unsigned long *avg = shared ? &copy_auto.shared_ns : &copy_auto.solo_ns;
	unsigned long per_page = max_t(u64, div_u64(ns, nr_pages), 1);
	unsigned long old = READ_ONCE(*avg);

	/* Racy on purpose: a lost update only costs a sample. */
	WRITE_ONCE(*avg, old ? (3 * old + per_page) / 4 : per_page);
}

/* Run the jobs: all but the first on the workqueue, the first here. */
static void copy_jobs_run(struct copy_job *jobs, unsigned int nr_jobs,
			  int nid)
{
	unsigned int i;

	for (i = 1; i < nr_jobs; i++) {
		INIT_WORK(&jobs[i].work, copy_work_fn);
		queue_work_node(nid, copy_wq, &jobs[i].work);
	}
	copy_job_run(&jobs[0]);
	for (i = 1; i < nr_jobs; i++)
		flush_work(&jobs[i].work);
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
	struct copy_cursor start = { .dst = dst, .src = src };
	bool learn;
	unsigned int nr_jobs = copy_want_threads(dst, nr_pages, &learn);
	struct copy_job one, *jobs = NULL;
	u64 t0 = 0;

	VM_BUG_ON_FOLIO(!folio_test_locked(src), src);
	VM_BUG_ON_FOLIO(!folio_test_locked(dst), dst);

	if (learn) {
		if (!copy_auto_pick(READ_ONCE(copy_auto.solo_ns),
				    READ_ONCE(copy_auto.shared_ns),
				    atomic_long_inc_return(&copy_auto.nth))) {
			nr_jobs = 1;
			atomic_long_inc(&copy_auto_solo_batches);
		}
		t0 = ktime_get_ns();
	}
	if (nr_jobs > 1)
		jobs = kmalloc_array(nr_jobs, sizeof(*jobs),
				     GFP_NOWAIT | __GFP_NOWARN);
	if (!jobs) {
		nr_jobs = copy_plan(&one, 1, start, nr_pages);
		if (nr_jobs)
			copy_job_run(&one);
	} else {
		nr_jobs = copy_plan(jobs, nr_jobs, start, nr_pages);
		if (nr_jobs > 1)
			atomic_long_inc(&copy_parallel_batches);
		copy_jobs_run(jobs, nr_jobs, folio_nid(dst));
		kfree(jobs);
	}
	if (learn)
		copy_auto_learn(nr_jobs > 1, ktime_get_ns() - t0, nr_pages);
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
