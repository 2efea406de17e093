// SPDX-License-Identifier: GPL-2.0
/*
 * No write is lost to a late TLB flush. Writer threads, on CPUs of both
 * nodes, keep incrementing a counter of their own in every page of a
 * buffer while the main thread moves the buffer back and forth between
 * the nodes with move_pages(). Each writer counts its increments per
 * page; afterwards every counter in memory must equal that count.
 *
 * A CPU that still holds a writable TLB entry for a page after its pte
 * became a migration entry can write to the old page. If the engine
 * copied the page before flushing that entry, the write lands in the
 * old page after the copy and is lost: a counter comes up short.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>

#include "../../kselftest_harness.h"
#include "users_util.h"

#define NR_PAGES	512	/* 2 MiB of 4 KiB pages */
#define WRITERS_PER_NODE 2
#define NR_WRITERS	(2 * WRITERS_PER_NODE)
#define ROUNDS		200	/* moves of the whole buffer */
#define ROUND_LIMIT_S	30	/* hang guard: stop moving after this */
#define SLOT_STRIDE	64	/* a cache line per writer in each page */

struct writer {
	pthread_t thread;
	cpu_set_t cpus;
	int slot;
	char *buf;
	size_t psz;
	atomic_int *stop;
	uint64_t *counts;	/* increments done, per page */
	uint64_t total;
	int bound;		/* sched_setaffinity() worked */
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	size_t i;

	w->bound = !sched_setaffinity(0, sizeof(w->cpus), &w->cpus);
	while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
		for (i = 0; i < NR_PAGES; i++) {
			volatile uint64_t *c = (volatile uint64_t *)
				(w->buf + i * w->psz + w->slot * SLOT_STRIDE);

			*c = *c + 1;
			w->counts[i]++;
		}
		w->total += NR_PAGES;
	}
	return NULL;
}

FIXTURE(late_flush)
{
	int node[2];
	size_t psz, len;
	char *buf;
	int status[NR_PAGES];
	atomic_int stop;
	struct writer w[NR_WRITERS];
	int started;
};

FIXTURE_SETUP(late_flush)
{
	cpu_set_t cpus[2];
	int n, i;

	pm_pick_nodes(&self->node[0], &self->node[1]);
	if (self->node[0] < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	for (n = 0; n < 2; n++)
		if (!pm_node_cpus(self->node[n], &cpus[n]))
			SKIP(return, "node %d has no CPUs", self->node[n]);
	self->psz = getpagesize();
	ASSERT_LE(NR_WRITERS * SLOT_STRIDE, (int)self->psz);
	self->len = NR_PAGES * self->psz;
	self->buf = pm_map(self->len, MAP_PRIVATE | MAP_ANONYMOUS);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, madvise(self->buf, self->len, MADV_NOHUGEPAGE));
	memset(self->buf, 0, self->len);
	PM_MOVE_OK(self->buf, NR_PAGES, self->psz, self->node[0],
		   self->status, 0, "initial placement");

	for (i = 0; i < NR_WRITERS; i++) {
		struct writer *w = &self->w[i];

		w->cpus = cpus[i % 2];
		w->slot = i;
		w->buf = self->buf;
		w->psz = self->psz;
		w->stop = &self->stop;
		w->counts = calloc(NR_PAGES, sizeof(*w->counts));
		ASSERT_NE(NULL, w->counts);
	}
}

FIXTURE_TEARDOWN(late_flush)
{
	int i;

	atomic_store(&self->stop, 1);
	for (i = 0; i < self->started; i++)
		pthread_join(self->w[i].thread, NULL);
	for (i = 0; i < NR_WRITERS; i++)
		free(self->w[i].counts);
	if (self->buf)
		munmap(self->buf, self->len);
}

/* Each writer's counter in each page must hold its own count. */
static void check_counters(struct __test_metadata *_metadata,
			   FIXTURE_DATA(late_flush) *self)
{
	uint64_t lost = 0, first_page = 0, seen = 0, want = 0;
	int i, first_writer = -1;
	size_t p;

	for (i = 0; i < NR_WRITERS; i++) {
		for (p = 0; p < NR_PAGES; p++) {
			uint64_t got = *(uint64_t *)(self->buf + p * self->psz +
						     i * SLOT_STRIDE);

			if (got == self->w[i].counts[p])
				continue;
			if (first_writer < 0) {
				first_writer = i;
				first_page = p;
				seen = got;
				want = self->w[i].counts[p];
			}
			lost += self->w[i].counts[p] - got;
		}
	}
	ASSERT_EQ(-1, first_writer)
		TH_LOG("lost writes: writer %d's counter in page %lu (node %d) is %lu, it made %lu increments; %lu increments lost in all",
		       first_writer, (unsigned long)first_page,
		       pm_node_of(self->buf + first_page * self->psz),
		       (unsigned long)seen, (unsigned long)want,
		       (unsigned long)lost);
}

TEST_F_TIMEOUT(late_flush, writers_lose_nothing_while_pages_move, 240)
{
	struct timespec t0, t;
	long moved = 0, ret;
	uint64_t writes = 0;
	int round, i, target;

	PM_RETURN_IF_SKIPPED();
	for (i = 0; i < NR_WRITERS; i++) {
		ASSERT_EQ(0, pthread_create(&self->w[i].thread, NULL,
					    writer_fn, &self->w[i]));
		self->started++;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (round = 0; round < ROUNDS; round++) {
		/* 6.1: a positive return leaves the run's status unwritten. */
		target = self->node[(round + 1) % 2];
		ret = pm_move(self->buf, NR_PAGES, self->psz, target,
			      pm_status_poison(self->status, NR_PAGES), 0);
		ASSERT_LE(0, ret)
			TH_LOG("round %d: move_pages to node %d: %s", round,
			       target, strerror(-ret));
		for (i = 0; i < NR_PAGES; i++)
			moved += self->status[i] == target;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > ROUND_LIMIT_S)
			break;
	}

	atomic_store(&self->stop, 1);
	for (i = 0; i < self->started; i++)
		pthread_join(self->w[i].thread, NULL);
	self->started = 0;
	for (i = 0; i < NR_WRITERS; i++) {
		EXPECT_TRUE(self->w[i].bound)
			TH_LOG("writer %d could not be bound to its node", i);
		writes += self->w[i].total;
	}
	TH_LOG("%d rounds, %ld pages moved, %lu increments by %d writers",
	       round, moved, (unsigned long)writes, NR_WRITERS);
	/* The test means something only if pages moved under the writers. */
	ASSERT_LE(NR_PAGES, moved);
	ASSERT_LT(0, writes);
	check_counters(_metadata, self);
}

TEST_HARNESS_MAIN
