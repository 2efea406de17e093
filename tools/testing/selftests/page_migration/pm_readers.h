/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Moves under readers: huge pages go back and forth between two nodes
 * while other threads, or forked children, read and verify every byte
 * over and over, so that they fault on the migration entries. Include
 * after kselftest_harness.h: the helper asserts.
 */
#ifndef PM_READERS_H
#define PM_READERS_H

#include <pthread.h>

#include "pm_test.h"

#define PM_READERS	2

/* Threads of this process that verify buf until told to stop. */
struct pm_reader_threads {
	pthread_t tid[PM_READERS];
	int n;
	const char *buf;
	size_t len;
	unsigned long seed;
	int stop;
	long bad;		/* first bad byte seen, or -1 */
	unsigned long scans;	/* full passes, all threads */
};

static void *pm_reader_thread(void *arg)
{
	struct pm_reader_threads *t = arg;
	long bad;

	while (!__atomic_load_n(&t->stop, __ATOMIC_RELAXED)) {
		bad = pm_first_bad(t->buf, t->len, t->seed);
		if (bad >= 0)
			__atomic_store_n(&t->bad, bad, __ATOMIC_RELAXED);
		__atomic_add_fetch(&t->scans, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static inline unsigned long pm_reader_scans(struct pm_reader_threads *t)
{
	return __atomic_load_n(&t->scans, __ATOMIC_RELAXED);
}

static inline void pm_reader_threads_stop(struct pm_reader_threads *t)
{
	__atomic_store_n(&t->stop, 1, __ATOMIC_RELAXED);
	while (t->n > 0)
		pthread_join(t->tid[--t->n], NULL);
}

/* Move every unit to node @to: 0, or -1 after logging what failed. */
static inline int pm_move_round(struct __test_metadata *_metadata,
				char *buf, unsigned long units, size_t stride,
				int to, int flags, int *status, long round)
{
	long ret, bad;

	ret = pm_move(buf, units, stride, to, pm_status_poison(status, units),
		      flags);
	bad = pm_first_status_not(status, units, to);
	if (!ret && bad < 0)
		return 0;
	TH_LOG("round %ld to node %d: move_pages() %ld, unit %ld status %d",
	       round, to, ret, bad, bad >= 0 ? status[bad] : 0);
	return -1;
}

/*
 * Move the @units huge units of @buf (@stride bytes each, pattern of
 * @seed) between nodes @a and @b for @secs seconds while PM_READERS
 * readers verify every byte: threads of this process, or with
 * @children forked children, which share the pages and so need
 * MPOL_MF_MOVE_ALL. Every move must put every unit on its target, the
 * readers must have read the memory during the moves and found no bad
 * byte, and the children must see the last node from their side too.
 * Return: the rounds done, at least 2; the units end on @a.
 */
static inline long pm_move_under_readers(struct __test_metadata *_metadata,
					 char *buf, unsigned long units,
					 size_t stride, int a, int b,
					 unsigned long seed, bool children,
					 double secs, int *status)
{
	struct pm_reader_threads t = { .buf = buf, .len = units * stride,
				       .seed = seed, .bad = -1 };
	struct pm_checker kids[PM_READERS] = { 0 };
	struct pm_check_result res0[PM_READERS], res[PM_READERS];
	unsigned long scans0;
	int flags = children ? MPOL_MF_MOVE_ALL : 0;
	int i, failed = 0;
	double end;
	long round;

	for (i = 0; i < PM_READERS && !failed; i++) {
		if (children)
			failed = pm_checker_start(&kids[i], buf, t.len, stride,
						  seed);
		else if (pthread_create(&t.tid[i], NULL, pm_reader_thread, &t))
			failed = -1;
		else
			t.n++;
	}
	/* Every reader has read the memory once before the moves start. */
	for (i = 0; i < PM_READERS && children && !failed; i++)
		failed = pm_checker_ask(&kids[i], a, &res0[i]);
	while (!children && !failed && pm_reader_scans(&t) < PM_READERS)
		usleep(1000);
	scans0 = pm_reader_scans(&t);

	end = pm_now() + secs;
	for (round = 0; !failed && (round < 2 || pm_now() < end); round++)
		failed = pm_move_round(_metadata, buf, units, stride,
				       round & 1 ? a : b, flags, status, round);
	/* An odd count of rounds leaves the units on b: one more. */
	if (!failed && (round & 1))
		failed = pm_move_round(_metadata, buf, units, stride, a, flags,
				       status, round++);

	for (i = 0; i < PM_READERS && children; i++) {
		if (!failed && kids[i].pid > 0 &&
		    pm_checker_ask(&kids[i], a, &res[i]))
			failed = -1;
		pm_checker_stop(&kids[i]);
	}
	pm_reader_threads_stop(&t);

	EXPECT_EQ(0, failed);
	for (i = 0; i < PM_READERS && children && !failed; i++) {
		EXPECT_EQ(-1, res[i].bad_off)
			TH_LOG("child %d: byte %ld is wrong", i, res[i].bad_off);
		EXPECT_EQ(-1, res[i].bad_page)
			TH_LOG("child %d: page %ld has status %d, not node %d",
			       i, res[i].bad_page, res[i].bad_status, a);
		EXPECT_LT(res0[i].scans, res[i].scans)
			TH_LOG("child %d read nothing during %ld rounds", i,
			       round);
	}
	if (!children) {
		EXPECT_EQ(-1, t.bad) TH_LOG("a reader saw byte %ld wrong", t.bad);
		EXPECT_LT(scans0, pm_reader_scans(&t))
			TH_LOG("the readers read nothing during %ld rounds",
			       round);
	}
	return failed ? -1 : round;
}

#endif /* PM_READERS_H */
