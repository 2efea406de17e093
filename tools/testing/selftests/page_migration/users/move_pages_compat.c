// SPDX-License-Identifier: GPL-2.0
// pm-build: -m32 -lpthread
/*
 * move_pages(2) from a 32-bit (compat) binary. In 6.1 the compat entry
 * is the native one: do_pages_move() reads the pages array as
 * compat_uptr_t (4 bytes per entry) when in_compat_syscall(), and
 * do_pages_stat() does the same through get_compat_pages_array(), 16 at
 * a time. The same cases as the native tests: move, query, chunked
 * arrays with holes, bad pointers, bad nodes, bad flags; contents are
 * verified after each move. No libnuma here (there is no 32-bit one):
 * raw syscall(__NR_move_pages) and /sys for the node list.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../kselftest_harness.h"

#define MF_STRICT	(1 << 0)
#define MF_MOVE		(1 << 1)
#define MF_MOVE_ALL	(1 << 2)

static long sys_move_pages(int pid, unsigned long n, void **pages,
			   const int *nodes, int *status, int flags)
{
	return syscall(__NR_move_pages, pid, n, pages, nodes, status, flags);
}

static unsigned char pat(unsigned long seed, size_t off)
{
	return (unsigned char)(seed * 131 + off * 7 + (off >> 9));
}

static void fill(char *b, size_t len, unsigned long seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = pat(seed, i);
}

static long first_bad(const char *b, size_t len, unsigned long seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)b[i] != pat(seed, i))
			return i;
	return -1;
}

/* Private anon memory filled with seed's pattern, or NULL. */
static char *map_filled(size_t len, unsigned long seed)
{
	char *b = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (b == MAP_FAILED)
		return NULL;
	fill(b, len, seed);
	return b;
}

/* First two nodes listed in /sys/devices/system/node/has_memory. */
static void pick_nodes(int *a, int *b)
{
	char buf[256], *p;
	int nodes[2], found = 0;
	FILE *f = fopen("/sys/devices/system/node/has_memory", "r");

	*a = *b = -1;
	if (!f)
		return;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return;
	}
	fclose(f);
	for (p = buf; *p && found < 2;) {
		long lo = strtol(p, &p, 10), hi = lo;

		if (*p == '-')
			hi = strtol(p + 1, &p, 10);
		for (; lo <= hi && found < 2; lo++)
			nodes[found++] = lo;
		if (*p == ',')
			p++;
		else
			break;
	}
	if (found == 2) {
		*a = nodes[0];
		*b = nodes[1];
	}
}

FIXTURE(compat)
{
	size_t psz;
	int n0, n1;
};

FIXTURE_SETUP(compat)
{
	self->psz = getpagesize();
	ASSERT_EQ(4, sizeof(void *)) {
		TH_LOG("this test must be built with -m32");
	}
	pick_nodes(&self->n0, &self->n1);
	if (self->n0 < 0)
		SKIP(return, "needs two NUMA nodes with memory");
}

FIXTURE_TEARDOWN(compat)
{
}

/* Move n pages (stride psz) to node; 0 or -errno. */
static long mv(char *buf, unsigned long n, size_t psz, const int *node_of,
	       int node, int *status, int flags)
{
	void **pages = calloc(n, sizeof(void *));
	int *nodes = calloc(n, sizeof(int));
	unsigned long i;
	long r;

	for (i = 0; i < n; i++) {
		pages[i] = buf + i * psz;
		nodes[i] = node_of ? node_of[i] : node;
	}
	r = sys_move_pages(0, n, pages, nodes, status, flags);
	if (r < 0)
		r = -errno;
	free(pages);
	free(nodes);
	return r;
}

/*
 * Query n pages, at most 16 (DO_PAGES_STAT_CHUNK_NR) per call: 6.1's
 * do_pages_stat() steps the compat pages array by 8 bytes per entry
 * from the second chunk on (see query_beyond_one_chunk below).
 */
static long where(char *buf, unsigned long n, size_t psz, int *status)
{
	void **pages = calloc(n, sizeof(void *));
	unsigned long i, k;
	long r = 0;

	for (i = 0; i < n; i++)
		pages[i] = buf + i * psz;
	for (i = 0; i < n && !r; i += k) {
		k = n - i < 16 ? n - i : 16;
		r = sys_move_pages(0, k, pages + i, NULL, status + i, 0);
		if (r < 0)
			r = -errno;
	}
	free(pages);
	return r;
}

static void expect_all(struct __test_metadata *_metadata, const int *status,
		       unsigned long n, int want, const char *what)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		ASSERT_EQ(want, status[i]) {
			TH_LOG("%s: page %lu status %d, expected %d", what, i,
			       status[i], want);
		}
	}
}

TEST_F(compat, move_and_query)
{
	const unsigned long n = 24;
	size_t len = n * self->psz;
	int status[24], k;
	char *buf;

	if (_metadata->skip)
		return;
	buf = map_filled(len, 31);
	ASSERT_TRUE(buf != NULL);
	for (k = 0; k < 4; k++) {
		int node = k % 2 ? self->n0 : self->n1;

		memset(status, 0x7f, sizeof(status));
		ASSERT_EQ(0, mv(buf, n, self->psz, NULL, node, status, MF_MOVE));
		expect_all(_metadata, status, n, node, "compat move");
		memset(status, 0x7f, sizeof(status));
		ASSERT_EQ(0, where(buf, n, self->psz, status));
		expect_all(_metadata, status, n, node, "compat query");
		EXPECT_EQ(-1, first_bad(buf, len, 31));
	}
	munmap(buf, len);
}

/* A 32-bit pointer array, 4 bytes per entry, built by hand. */
TEST_F(compat, u32_pointer_array_layout)
{
	const unsigned long n = 40;
	size_t len = n * self->psz;
	uint32_t *arr;
	int nodes[40], status[40];
	unsigned long i;
	char *buf;

	if (_metadata->skip)
		return;
	buf = map_filled(len, 32);
	ASSERT_TRUE(buf != NULL);
	/* Holes at 3, 10, 17, ... to catch any misaligned chunk. */
	for (i = 3; i < n; i += 7)
		ASSERT_EQ(0, munmap(buf + i * self->psz, self->psz));
	arr = calloc(n, sizeof(*arr));
	ASSERT_TRUE(arr != NULL);
	for (i = 0; i < n; i++) {
		arr[i] = (uint32_t)(uintptr_t)(buf + i * self->psz);
		nodes[i] = (i / 5) % 2 ? self->n0 : self->n1;
		status[i] = 12345;
	}
	ASSERT_EQ(0, sys_move_pages(0, n, (void **)arr, nodes, status, MF_MOVE));
	for (i = 0; i < n; i++) {
		int want = i % 7 == 3 ? -EFAULT : nodes[i];

		ASSERT_EQ(want, status[i]) {
			TH_LOG("move: page %lu status %d, expected %d", i,
			       status[i], want);
		}
	}
	for (i = 0; i < n; i++)
		status[i] = 12345;
	/* Query in calls of at most 16 entries (one compat chunk each). */
	for (i = 0; i < n; i += 16)
		ASSERT_EQ(0, sys_move_pages(0, n - i < 16 ? n - i : 16,
					    (void **)(arr + i), NULL,
					    status + i, 0));
	for (i = 0; i < n; i++) {
		int want = i % 7 == 3 ? -EFAULT : nodes[i];

		ASSERT_EQ(want, status[i]) {
			TH_LOG("query: page %lu status %d, expected %d", i,
			       status[i], want);
		}
	}
	for (i = 0; i < n; i++) {
		size_t j;

		if (i % 7 == 3)
			continue;
		for (j = 0; j < self->psz; j++)
			if ((unsigned char)buf[i * self->psz + j] !=
			    pat(32, i * self->psz + j))
				break;
		ASSERT_EQ(self->psz, j) {
			TH_LOG("page %lu differs at byte %zu", i, j);
		}
	}
	free(arr);
}

TEST_F(compat, untouched_and_zero_page)
{
	size_t len = 2 * self->psz;
	void *pages[2];
	int status[2];
	volatile char c;
	char *buf, *shm;

	if (_metadata->skip)
		return;
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shm = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(buf != MAP_FAILED);
	ASSERT_TRUE(shm != MAP_FAILED);
	c = ((volatile char *)buf)[self->psz];	/* zero page */
	(void)c;
	pages[0] = buf;				/* untouched anon */
	pages[1] = buf + self->psz;
	status[0] = status[1] = 12345;
	EXPECT_EQ(0, sys_move_pages(0, 2, pages, NULL, status, 0));
	EXPECT_EQ(-EFAULT, status[0]);
	EXPECT_EQ(-EFAULT, status[1]);
	pages[0] = shm;				/* untouched shmem */
	status[0] = 12345;
	EXPECT_EQ(0, sys_move_pages(0, 1, pages, NULL, status, 0));
	EXPECT_EQ(-ENOENT, status[0]);
	munmap(buf, len);
	munmap(shm, len);
}

TEST_F(compat, bad_input)
{
	int node, status = 12345, bad_nodes[] = { -1, 64, 1024, 0x7fffffff };
	void *page, *none;
	char *buf;
	unsigned int i;

	if (_metadata->skip)
		return;
	buf = map_filled(self->psz, 33);
	none = mmap(NULL, self->psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_TRUE(buf != NULL);
	ASSERT_TRUE(none != MAP_FAILED);
	page = buf;
	node = self->n0;
	ASSERT_EQ(0, sys_move_pages(0, 1, &page, &node, &status, MF_MOVE));
	for (i = 0; i < sizeof(bad_nodes) / sizeof(bad_nodes[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, sys_move_pages(0, 1, &page, &bad_nodes[i], &status,
					     MF_MOVE));
		EXPECT_EQ(ENODEV, errno) {
			TH_LOG("node %d: errno %d, expected ENODEV", bad_nodes[i],
			       errno);
		}
	}
	errno = 0;
	EXPECT_EQ(-1, sys_move_pages(0, 1, &page, &node, &status, MF_STRICT));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, sys_move_pages(0, 1, none, &node, &status, MF_MOVE));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, sys_move_pages(0, 1, none, NULL, &status, 0));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, sys_move_pages(0, 1, &page, none, &status, MF_MOVE));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, sys_move_pages(0, 1, &page, NULL, none, 0));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, sys_move_pages(0, 0xffffffffUL, &page, NULL, none, 0));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, sys_move_pages(0x7fffffff, 1, &page, NULL, &status, 0));
	EXPECT_EQ(ESRCH, errno);
	EXPECT_EQ(0, sys_move_pages(0, 0, NULL, NULL, NULL, 0));
	/* A pointer beyond what a 32-bit task can map: -EFAULT status. */
	page = (void *)0xfffff000UL;
	status = 12345;
	EXPECT_EQ(0, sys_move_pages(0, 1, &page, NULL, &status, 0));
	EXPECT_EQ(-EFAULT, status);
	page = buf;
	status = 12345;
	EXPECT_EQ(0, sys_move_pages(0, 1, &page, NULL, &status, 0));
	EXPECT_EQ(self->n0, status);
	EXPECT_EQ(-1, first_bad(buf, self->psz, 33));
	munmap(buf, self->psz);
	munmap(none, self->psz);
}

TEST_F(compat, shared_page_and_move_all)
{
	void *page;
	int node, status, sync[2];
	pid_t pid;
	char *buf, c;

	if (_metadata->skip)
		return;
	buf = map_filled(self->psz, 34);
	ASSERT_TRUE(buf != NULL);
	page = buf;
	node = self->n0;
	ASSERT_EQ(0, sys_move_pages(0, 1, &page, &node, &status, MF_MOVE));
	ASSERT_EQ(0, pipe(sync));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(sync[1]);
		if (read(sync[0], &c, 1) < 0)
			_exit(2);
		_exit(first_bad(buf, self->psz, 34) == -1 ? 0 : 1);
	}
	close(sync[0]);
	node = self->n1;
	status = 12345;
	EXPECT_EQ(0, sys_move_pages(0, 1, &page, &node, &status, MF_MOVE));
	EXPECT_EQ(-EACCES, status);
	status = 12345;
	EXPECT_EQ(0, sys_move_pages(0, 1, &page, &node, &status, MF_MOVE_ALL));
	EXPECT_EQ(self->n1, status);
	status = 12345;
	EXPECT_EQ(0, sys_move_pages(pid, 1, &page, NULL, &status, 0));
	EXPECT_EQ(self->n1, status);
	EXPECT_EQ(-1, first_bad(buf, self->psz, 34));
	close(sync[1]);
	ASSERT_EQ(pid, waitpid(pid, &sync[0], 0));
	EXPECT_EQ(0, sync[0]);
	munmap(buf, self->psz);
}

/*
 * One query of more than 16 pages. The right answer is each page's
 * node. 6.1 (stock 6.1.192 too) gets it wrong: do_pages_stat() does
 * "pages += chunk_nr" on a native pointer type, so the second compat
 * chunk is read from entry 32, not 16 (fixed upstream by "mm/migrate:
 * fix do_pages_stat in compat mode"). Expected to fail on 6.1.
 */
TEST_F(compat, query_beyond_one_chunk)
{
	const unsigned long n = 40;
	size_t len = n * self->psz;
	void *pages[40];
	int status[40];
	unsigned long i;
	char *buf;

	if (_metadata->skip)
		return;
	buf = map_filled(len, 35);
	ASSERT_TRUE(buf != NULL);
	for (i = 0; i < n; i++)
		status[i] = i < 20 ? self->n0 : self->n1;
	/* Pages 0-19 on n0, 20-39 on n1: a misread entry shows. */
	ASSERT_EQ(0, mv(buf, n, self->psz, status, 0, status, MF_MOVE));
	for (i = 0; i < n; i++) {
		pages[i] = buf + i * self->psz;
		status[i] = 12345;
	}
	ASSERT_EQ(0, sys_move_pages(0, n, pages, NULL, status, 0));
	for (i = 0; i < n; i++) {
		int want = i < 20 ? self->n0 : self->n1;

		EXPECT_EQ(want, status[i]) {
			TH_LOG("40-entry compat query: page %lu status %d, expected %d",
			       i, status[i], want);
		}
	}
	EXPECT_EQ(-1, first_bad(buf, len, 35));
	munmap(buf, len);
}

TEST_HARNESS_MAIN
