// SPDX-License-Identifier: GPL-2.0
/*
 * Private anonymous pages move between two nodes with move_pages();
 * every page lands on the target node and every byte survives, also
 * while other threads keep reading and writing the memory, and the
 * mover's own writes right after the call land in the new pages.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "pm_test.h"

#define NR_PAGES	512
#define ROUNDS		4

FIXTURE(anon)
{
	int node_a, node_b;
	size_t psz;
	char *buf;
	int status[NR_PAGES];
};

FIXTURE_SETUP(anon)
{
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	self->psz = getpagesize();
	self->buf = mmap(NULL, NR_PAGES * self->psz, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	pm_fill(self->buf, NR_PAGES * self->psz, 1);
}

FIXTURE_TEARDOWN(anon)
{
	if (self->buf)
		munmap(self->buf, NR_PAGES * self->psz);
}

/* Move all pages to node, then check status, placement and contents. */
static void move_and_check(struct __test_metadata *_metadata,
			   FIXTURE_DATA(anon) *self, int node,
			   unsigned long seed)
{
	long ret, bad;
	int i;

	ret = pm_move(self->buf, NR_PAGES, self->psz, node, self->status, 0);
	ASSERT_EQ(0, ret) TH_LOG("move_pages to node %d returned %ld", node, ret);
	for (i = 0; i < NR_PAGES; i++) {
		int st = self->status[i];

		ASSERT_EQ(node, st) TH_LOG("page %d: status %d, wanted node %d",
					   i, st, node);
	}
	ASSERT_EQ(0, pm_where(self->buf, NR_PAGES, self->psz, self->status));
	for (i = 0; i < NR_PAGES; i++) {
		int st = self->status[i];

		ASSERT_EQ(node, st) TH_LOG("page %d: query says node %d, wanted %d",
					   i, st, node);
	}
	bad = pm_first_bad(self->buf, NR_PAGES * self->psz, seed);
	ASSERT_EQ(-1, bad) TH_LOG("byte %ld (page %ld) differs after move to node %d",
				  bad, bad / (long)self->psz, node);
}

TEST_F_TIMEOUT(anon, move_there_and_back, 120)
{
	int r;

	PM_RETURN_IF_SKIPPED();
	for (r = 0; r < ROUNDS; r++) {
		move_and_check(_metadata, self, self->node_b, 1);
		move_and_check(_metadata, self, self->node_a, 1);
	}
}

struct toucher {
	char *buf;
	size_t len, psz;
	atomic_int stop;
	unsigned long reads;
	int bad_page;
};

/* Read every page and rewrite one word of it with the value it holds. */
static void *touch_pages(void *arg)
{
	struct toucher *t = arg;
	size_t off;

	while (!atomic_load(&t->stop)) {
		for (off = 0; off < t->len; off += t->psz) {
			volatile unsigned char *p = (unsigned char *)t->buf + off;
			unsigned char v = *p;

			if (v != pm_byte(1, off)) {
				t->bad_page = off / t->psz;
				return NULL;
			}
			*p = v;
			t->reads++;
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(anon, move_while_threads_touch, 120)
{
	struct toucher t = { .buf = self->buf, .len = NR_PAGES * self->psz,
			     .psz = self->psz, .bad_page = -1 };
	pthread_t th[2];
	int r, i;

	PM_RETURN_IF_SKIPPED();
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, touch_pages, &t));
	for (r = 0; r < ROUNDS; r++) {
		move_and_check(_metadata, self, self->node_b, 1);
		move_and_check(_metadata, self, self->node_a, 1);
	}
	atomic_store(&t.stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ASSERT_EQ(-1, t.bad_page) TH_LOG("a toucher thread saw page %d change",
					 t.bad_page);
	ASSERT_LT(0, t.reads);
}

/*
 * What own_writes_land_after_move checks in a child, 0 when all is well: a nonzero
 * code names the step that failed.
 */
enum own_writes_step {
	OWN_OK, OWN_MMAP, OWN_MEM, OWN_MOVE, OWN_STATUS, OWN_READ, OWN_BYTES,
};

/*
 * Move buf (npages of psz) to node, write the pattern of seed into every
 * page at once, and read it back through /proc/self/mem (fd), which goes
 * through the page tables, not this CPU's TLB.
 */
static int own_move_write_check(char *buf, size_t npages, size_t psz,
				int node, unsigned long seed, int fd,
				char *back, int *status)
{
	size_t len = npages * psz;

	if (pm_move(buf, npages, psz, node, status, 0))
		return OWN_MOVE;
	if (pm_first_status_not(status, npages, node) >= 0)
		return OWN_STATUS;
	pm_fill(buf, len, seed);
	if (pread(fd, back, len, (off_t)(uintptr_t)buf) != (ssize_t)len)
		return OWN_READ;
	return pm_first_bad(back, len, seed) < 0 ? OWN_OK : OWN_BYTES;
}

/*
 * The child: a fresh mm that has only ever run on one CPU, so that no
 * other CPU can hold its TLB entries.  Its warm TLB maps the old pages
 * until the kernel flushes; the flush may wait for the end of a batch,
 * but not past the call.
 */
static int own_writes_child(int node_a, int node_b, size_t psz,
			    int *status)
{
	size_t len = NR_PAGES * psz;
	char *buf, *back;
	int fd, r, rc;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	back = malloc(len);
	if (buf == MAP_FAILED || !back)
		return OWN_MMAP;
	fd = open("/proc/self/mem", O_RDONLY);
	if (fd < 0)
		return OWN_MEM;
	pm_fill(buf, len, 1);
	for (r = 0; r < ROUNDS; r++) {
		rc = own_move_write_check(buf, NR_PAGES, psz, node_b,
					  2 * r + 2, fd, back, status);
		if (!rc)
			rc = own_move_write_check(buf, NR_PAGES, psz, node_a,
						  2 * r + 3, fd, back, status);
		if (rc)
			return rc;
	}
	return OWN_OK;
}

TEST_F_TIMEOUT(anon, own_writes_land_after_move, 120)
{
	int cpu = sched_getcpu(), wstatus;
	pid_t pid;

	PM_RETURN_IF_SKIPPED();
	ASSERT_EQ(0, pm_pin_to(cpu));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(own_writes_child(self->node_a, self->node_b, self->psz,
				       self->status));
	ASSERT_EQ(pid, waitpid(pid, &wstatus, 0));
	ASSERT_TRUE(WIFEXITED(wstatus));
	ASSERT_EQ(OWN_OK, WEXITSTATUS(wstatus))
		TH_LOG("step %d of enum own_writes_step failed (%d: a write went to the old page)",
		       WEXITSTATUS(wstatus), OWN_BYTES);
}

TEST_HARNESS_MAIN
