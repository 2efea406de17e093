// SPDX-License-Identifier: GPL-2.0
/*
 * hugetlb pages (2 MiB, MAP_HUGETLB) move between two nodes whose pools
 * the test grows, and every byte survives; the pools are put back.
 * Also: a move given every 4 KiB address of the huge pages (the status
 * words stock 6.1 gives), and moves of another process's huge pages
 * with MPOL_MF_MOVE_ALL while it maps, fills and unmaps them over and
 * over, after which no pool page may be lost.  And pages of two shared
 * hugetlb files, mapped by this process and a child, whose unmap needs
 * each file's i_mmap_rwsem held for write.  And huge pages moving back
 * and forth while readers fault on their migration entries: threads
 * over a private mapping, or children sharing a shared one.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "pm_readers.h"

#define HPSZ		(2UL << 20)
#define NR_HUGE		2
#define EXTRA		(NR_HUGE + 2)	/* pool pages added on each node */
#define SEED		61

FIXTURE(hugetlb)
{
	int node_a, node_b;
	size_t psz, npages;
	char nr_path[2][128];
	long orig[2];
	char *buf;
	size_t buf_len;		/* mapped at buf: NR_HUGE * HPSZ, or more */
	int *status;
};

FIXTURE_SETUP(hugetlb)
{
	int i, nodes[2];

	self->orig[0] = self->orig[1] = -1;
	pm_pick_nodes(&self->node_a, &self->node_b);
	if (self->node_a < 0)
		SKIP(return, "needs two NUMA nodes with memory");
	nodes[0] = self->node_a;
	nodes[1] = self->node_b;
	self->psz = getpagesize();
	self->npages = NR_HUGE * HPSZ / self->psz;
	self->status = calloc(self->npages, sizeof(int));
	ASSERT_NE(NULL, self->status);
	for (i = 0; i < 2; i++) {
		pm_node_huge_path(self->nr_path[i], sizeof(self->nr_path[i]),
				  nodes[i], "nr_hugepages");
		if (pm_read_long(self->nr_path[i]) < 0)
			SKIP(return, "no 2 MiB hugetlb pool on node %d", nodes[i]);
	}
	/* Global state from here: no ASSERT, the teardown restores it. */
	for (i = 0; i < 2; i++) {
		self->orig[i] = pm_read_long(self->nr_path[i]);
		pm_write_long(self->nr_path[i], self->orig[i] + EXTRA);
	}
}

FIXTURE_TEARDOWN(hugetlb)
{
	int i;

	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, self->buf_len ? : NR_HUGE * HPSZ);
	for (i = 0; i < 2; i++)
		if (self->orig[i] >= 0 &&
		    pm_write_long(self->nr_path[i], self->orig[i]))
			TH_LOG("could not restore %s to %ld", self->nr_path[i],
			       self->orig[i]);
	free(self->status);
}

/* 0 if both nodes have @need free pool pages, else 1 and SKIP(). */
static int skip_unless_free(struct __test_metadata *_metadata,
			    FIXTURE_DATA(hugetlb) *self, long need)
{
	long a = pm_node_huge(self->node_a, "free_hugepages");
	long b = pm_node_huge(self->node_b, "free_hugepages");

	if (a >= need && b >= need)
		return 0;
	SKIP(return 1, "free huge pages: node %d %ld, node %d %ld; need %ld each",
	     self->node_a, a, self->node_b, b, need);
}

/*
 * Map NR_HUGE huge pages at self->buf (@share: MAP_PRIVATE or
 * MAP_SHARED), bound to node A and filled with @seed's pattern.
 */
static void map_huge_on_a(struct __test_metadata *_metadata,
			  FIXTURE_DATA(hugetlb) *self, int share,
			  unsigned long seed)
{
	unsigned long mask = 1UL << self->node_a;

	self->buf = mmap(NULL, NR_HUGE * HPSZ, PROT_READ | PROT_WRITE,
			 share | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf) TH_LOG("mmap MAP_HUGETLB: %s",
						strerror(errno));
	ASSERT_EQ(0, mbind(self->buf, NR_HUGE * HPSZ, MPOL_BIND, &mask,
			   sizeof(mask) * 8, 0));
	pm_fill(self->buf, NR_HUGE * HPSZ, seed);
}

TEST_F_TIMEOUT(hugetlb, move_huge_pages, 90)
{
	unsigned long mask;
	uint64_t f;
	size_t i;
	int r;

	PM_RETURN_IF_SKIPPED();
	if (skip_unless_free(_metadata, self, NR_HUGE + 1))
		return;
	map_huge_on_a(_metadata, self, MAP_PRIVATE, SEED);
	PM_ASSERT_WHERE(self->buf, self->npages, self->psz, self->node_a,
			self->status, "initial placement");
	for (i = 0; i < self->npages; i += 97) {
		ASSERT_EQ(0, pm_kpageflags(self->buf + i * self->psz, &f));
		ASSERT_NE(0, f & PM_KPF(KPF_HUGE))
			TH_LOG("subpage %zu is not a hugetlb page (0x%llx)", i,
			       (unsigned long long)f);
	}
	/* Allow node B in the policy so that the pages may live there. */
	mask = (1UL << self->node_a) | (1UL << self->node_b);
	ASSERT_EQ(0, mbind(self->buf, NR_HUGE * HPSZ, MPOL_BIND, &mask,
			   sizeof(mask) * 8, 0));

	for (r = 0; r < 4; r++) {
		int to = (r & 1) ? self->node_a : self->node_b;
		long free_to = pm_node_huge(to, "free_hugepages");

		PM_MOVE_OK(self->buf, NR_HUGE, HPSZ, to, self->status, 0,
			   "hugetlb move (one address per huge page)");
		PM_ASSERT_WHERE(self->buf, self->npages, self->psz, to,
				self->status, "every 4K piece of the huge pages");
		ASSERT_EQ(free_to - NR_HUGE, pm_node_huge(to, "free_hugepages"))
			TH_LOG("round %d: node %d free huge pages %ld -> %ld, expected -%d",
			       r, to, free_to, pm_node_huge(to, "free_hugepages"),
			       NR_HUGE);
		for (i = 0; i < self->npages; i += 97) {
			ASSERT_EQ(0, pm_kpageflags(self->buf + i * self->psz, &f));
			ASSERT_NE(0, f & PM_KPF(KPF_HUGE));
		}
		PM_ASSERT_CONTENT(self->buf, NR_HUGE * HPSZ, SEED, self->psz,
				  "after hugetlb move");
	}
	/* Writing after the moves works and sticks. */
	pm_fill(self->buf, NR_HUGE * HPSZ, SEED + 1);
	PM_MOVE_OK(self->buf, NR_HUGE, HPSZ, self->node_b, self->status, 0,
		   "hugetlb move after rewrite");
	PM_ASSERT_CONTENT(self->buf, NR_HUGE * HPSZ, SEED + 1, self->psz,
			  "rewritten, then moved");
}

/*
 * Every 4 KiB address of the huge pages, all bound for node B.  An entry
 * for a tail page whose head is still on node A is -EACCES, and ends
 * the run, which moves the head; the tail entries after it find their
 * page on B already.  Stock 6.1 answers the same.
 */
TEST_F_TIMEOUT(hugetlb, move_every_subpage, 90)
{
	size_t per_huge = HPSZ / self->psz, i;
	unsigned long mask;
	int *want;
	long bad;

	PM_RETURN_IF_SKIPPED();
	if (skip_unless_free(_metadata, self, NR_HUGE))
		return;
	self->buf = mmap(NULL, NR_HUGE * HPSZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf) TH_LOG("mmap MAP_HUGETLB: %s",
						strerror(errno));
	ASSERT_EQ(0, (unsigned long)self->buf % HPSZ);
	mask = 1UL << self->node_a;
	ASSERT_EQ(0, mbind(self->buf, NR_HUGE * HPSZ, MPOL_BIND, &mask,
			   sizeof(mask) * 8, 0));
	pm_fill(self->buf, NR_HUGE * HPSZ, SEED + 2);
	PM_ASSERT_WHERE(self->buf, self->npages, self->psz, self->node_a,
			self->status, "initial placement");

	want = calloc(self->npages, sizeof(*want));
	ASSERT_NE(NULL, want);
	for (i = 0; i < self->npages; i++)
		want[i] = i % per_huge == 1 ? -EACCES : self->node_b;
	ASSERT_EQ(0, pm_move_pid(0, self->buf, self->npages, self->psz,
				 self->node_b,
				 pm_status_poison(self->status, self->npages),
				 0));
	bad = pm_first_misplaced(self->status, want, self->npages);
	EXPECT_EQ(-1, bad)
		TH_LOG("entry %ld (piece %ld of huge page %ld): status %d, expected %d",
		       bad, bad % (long)per_huge, bad / (long)per_huge,
		       self->status[bad], want[bad]);
	free(want);
	PM_ASSERT_WHERE(self->buf, self->npages, self->psz, self->node_b,
			self->status, "every 4K piece after the move");
	PM_ASSERT_CONTENT(self->buf, NR_HUGE * HPSZ, SEED + 2, self->psz,
			  "moved by every 4K address");
}

/*
 * The other process: map NR_HUGE huge pages at @at, bound to node @from,
 * fill them, check them, count in *@seen_moved the pages it then finds
 * on another node (only a move puts them there), unmap them, until
 * killed.  Exits 1 if a byte was wrong, 2 if a call failed.
 */
static void churn_huge(char *at, unsigned long seed, int from,
		       long *seen_moved)
{
	unsigned long mask = 1UL << from;
	int st[NR_HUGE], i;

	for (;;) {
		char *p = mmap(at, NR_HUGE * HPSZ, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
			       MAP_FIXED, -1, 0);

		if (p == MAP_FAILED ||
		    mbind(p, NR_HUGE * HPSZ, MPOL_BIND, &mask,
			  sizeof(mask) * 8, 0))
			_exit(2);
		pm_fill(p, NR_HUGE * HPSZ, seed);
		if (pm_first_bad(p, NR_HUGE * HPSZ, seed) >= 0)
			_exit(1);
		if (pm_where(p, NR_HUGE, HPSZ, st))
			_exit(2);
		for (i = 0; i < NR_HUGE; i++)
			if (st[i] >= 0 && st[i] != from)
				__atomic_add_fetch(seen_moved, 1,
						   __ATOMIC_RELAXED);
		/* Back to a reservation without huge pages. */
		if (mmap(at, NR_HUGE * HPSZ, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
			 -1, 0) == MAP_FAILED)
			_exit(2);
		seed++;
	}
}

/*
 * Move another process's huge pages to node B, every 4 KiB address of
 * them, with MPOL_MF_MOVE_ALL, while it maps them on node A, fills,
 * checks and unmaps them over and over (the race of LTP's
 * move_pages12).  A call may find nothing there, leave pages unmoved, or
 * find no free huge page on the target; it must not fail otherwise,
 * every status word must be one that move_pages() gives, the other
 * process must find its bytes intact and some of its pages on node B,
 * and once it is gone every pool page must be free again, on its node.
 */
TEST_F_TIMEOUT(hugetlb, move_all_races_map_unmap, 120)
{
	long free0[2], nr0[2], calls = 0, *seen_moved, j;
	int nodes[2] = { self->node_a, self->node_b };
	double end;
	char *at;
	pid_t pid;
	int wst, i;

	PM_RETURN_IF_SKIPPED();
	/*
	 * Enough free pages on each node for the other process's pages, for
	 * those it just unmapped while a move still holds them, and for the
	 * moves' targets: a move must never need a temporary huge page,
	 * which would shift pool pages between the nodes.  The teardown
	 * puts the pools back.
	 */
	for (i = 0; i < 2; i++) {
		pm_write_long(self->nr_path[i],
			      pm_read_long(self->nr_path[i]) + 2 * NR_HUGE);
		nr0[i] = pm_read_long(self->nr_path[i]);
		free0[i] = pm_node_huge(nodes[i], "free_hugepages");
	}
	if (skip_unless_free(_metadata, self, 3 * NR_HUGE + 1))
		return;
	/* An aligned reservation, so that the other process's maps fit. */
	self->buf_len = (NR_HUGE + 1) * HPSZ;
	self->buf = mmap(NULL, self->buf_len, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	at = (char *)(((unsigned long)self->buf + HPSZ - 1) & ~(HPSZ - 1));
	seen_moved = mmap(NULL, sizeof(*seen_moved), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, seen_moved);
	*seen_moved = 0;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		churn_huge(at, SEED + 3, nodes[0], seen_moved);
	end = pm_now() + pm_race_seconds(3);
	while (pm_now() < end) {
		long r = pm_move_pid(pid, at, self->npages, self->psz,
				     nodes[1],
				     pm_status_poison(self->status,
						      self->npages),
				     MPOL_MF_MOVE_ALL);

		calls++;
		EXPECT_TRUE(r >= 0 || r == -ENOMEM)
			TH_LOG("call %ld: move_pages() returned %ld", calls, r);
		if (r < 0 && r != -ENOMEM)
			break;
		/* Past a run that did not move no status is written. */
		for (j = 0; r == 0 && j < (long)self->npages; j++) {
			int st = self->status[j];

			EXPECT_TRUE(st == nodes[0] || st == nodes[1] ||
				    st == -ENOENT || st == -EFAULT ||
				    st == -EACCES || st == -EBUSY)
				TH_LOG("call %ld, entry %ld: status %d",
				       calls, j, st);
		}
	}
	wst = pm_kill_reap(pid);
	EXPECT_TRUE(wst >= 0 && WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL)
		TH_LOG("the other process exited with %d (1: a byte changed, 2: a call failed)",
		       wst >= 0 && WIFEXITED(wst) ? WEXITSTATUS(wst) : -1);
	TH_LOG("%ld move_pages() calls; the other process found %ld of its huge pages moved",
	       calls, *seen_moved);
	EXPECT_LT(0, *seen_moved);
	munmap(seen_moved, sizeof(*seen_moved));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(nr0[i], pm_read_long(self->nr_path[i]))
			TH_LOG("node %d: pool of %ld, was %ld", nodes[i],
			       pm_read_long(self->nr_path[i]), nr0[i]);
		EXPECT_EQ(free0[i], pm_node_huge(nodes[i], "free_hugepages"))
			TH_LOG("node %d: %ld free huge pages, were %ld",
			       nodes[i], pm_node_huge(nodes[i], "free_hugepages"),
			       free0[i]);
	}
	EXPECT_EQ(0, pm_meminfo_kb("HugePages_Rsvd"));
	EXPECT_EQ(0, pm_meminfo_kb("HugePages_Surp"));
}

/*
 * The child of move_shared_files: map every page (a shared hugetlb
 * mapping is not copied at fork), say so on @ready, wait for @go, then
 * check the bytes and the node.  Exits 0, 1 if a byte is wrong, 2 if a
 * page is not on @to, 3 if a call failed.
 */
static void shared_child(char *seq, char *mix, int ready, int go, int to)
{
	size_t half = NR_HUGE * HPSZ;
	int st[2 * NR_HUGE], i;
	char c = 0;

	if (pm_first_bad(seq, half, SEED + 6) >= 0 ||
	    pm_first_bad(seq + half, half, SEED + 7) >= 0)
		_exit(1);
	if (madvise(mix, 2 * half, MADV_POPULATE_READ))
		_exit(3);
	if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1)
		_exit(3);
	if (pm_first_bad(seq, half, SEED + 6) >= 0 ||
	    pm_first_bad(seq + half, half, SEED + 7) >= 0)
		_exit(1);
	if (pm_where(seq, 2 * NR_HUGE, HPSZ, st))
		_exit(3);
	for (i = 0; i < 2 * NR_HUGE; i++)
		if (st[i] != to)
			_exit(2);
	_exit(0);
}

/*
 * Two shared hugetlb files (memfd, MFD_HUGETLB) of NR_HUGE pages each,
 * mapped twice here and once in a child: at seq in file order (A A B
 * B), at mix interleaved (A B A B).  Unmapping their pages needs each
 * file's i_mmap_rwsem held for write, and a batch holds one file's at a
 * time.  A move through mix goes from file to file at every page, one
 * through seq takes several pages of a file together; both must move
 * every page, whose bytes both processes then find intact, and take
 * the pool pages of the target node.
 */
TEST_F_TIMEOUT(hugetlb, move_shared_files, 90)
{
	size_t half = NR_HUGE * HPSZ;
	int fds[2] = { -1, -1 }, ready[2], go[2], st[2 * NR_HUGE];
	unsigned long mask;
	long free_b;
	char *seq, *mix, c = 0;
	int f, j, wst;
	pid_t pid;

	PM_RETURN_IF_SKIPPED();
	for (f = 0; f < 2; f++)
		pm_write_long(self->nr_path[f],
			      pm_read_long(self->nr_path[f]) + 2 * NR_HUGE);
	if (skip_unless_free(_metadata, self, 2 * NR_HUGE + 1))
		return;
	/* An aligned reservation for both views. */
	self->buf_len = (4 * NR_HUGE + 1) * HPSZ;
	self->buf = mmap(NULL, self->buf_len, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	seq = (char *)(((unsigned long)self->buf + HPSZ - 1) & ~(HPSZ - 1));
	mix = seq + 2 * half;
	for (f = 0; f < 2; f++) {
		fds[f] = memfd_create(f ? "pm-huge-b" : "pm-huge-a",
				      MFD_HUGETLB);
		ASSERT_LE(0, fds[f]) TH_LOG("memfd_create: %s", strerror(errno));
		ASSERT_EQ(0, ftruncate(fds[f], half));
		ASSERT_NE(MAP_FAILED, mmap(seq + f * half, half,
					   PROT_READ | PROT_WRITE,
					   MAP_SHARED | MAP_FIXED, fds[f], 0));
		for (j = 0; j < NR_HUGE; j++)
			ASSERT_NE(MAP_FAILED,
				  mmap(mix + (2 * j + f) * HPSZ, HPSZ,
				       PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_FIXED, fds[f],
				       j * HPSZ));
	}
	mask = 1UL << self->node_a;
	ASSERT_EQ(0, mbind(seq, 2 * half, MPOL_BIND, &mask,
			   sizeof(mask) * 8, 0));
	pm_fill(seq, half, SEED + 6);
	pm_fill(seq + half, half, SEED + 7);
	ASSERT_EQ(0, madvise(mix, 2 * half, MADV_POPULATE_READ));
	PM_ASSERT_WHERE(mix, 2 * NR_HUGE, HPSZ, self->node_a, st,
			"initial placement, interleaved view");

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		shared_child(seq, mix, ready[1], go[0], self->node_b);
	ASSERT_EQ(1, read(ready[0], &c, 1));

	free_b = pm_node_huge(self->node_b, "free_hugepages");
	PM_MOVE_OK(mix, 2 * NR_HUGE, HPSZ, self->node_b, st,
		   MPOL_MF_MOVE_ALL, "interleaved files, mapped by two");
	PM_ASSERT_WHERE(seq, 2 * NR_HUGE, HPSZ, self->node_b, st,
			"file-order view after the interleaved move");
	EXPECT_EQ(free_b - 2 * NR_HUGE,
		  pm_node_huge(self->node_b, "free_hugepages"));
	PM_ASSERT_CONTENT(seq, half, SEED + 6, self->psz, "file A, moved");
	PM_ASSERT_CONTENT(seq + half, half, SEED + 7, self->psz,
			  "file B, moved");
	ASSERT_EQ(1, write(go[1], &c, 1));
	if (waitpid(pid, &wst, 0) != pid)
		wst = -1;
	EXPECT_TRUE(wst >= 0 && WIFEXITED(wst) && !WEXITSTATUS(wst))
		TH_LOG("the child: %d (1: a byte changed, 2: a page off node %d, 3: a call failed)",
		       wst >= 0 && WIFEXITED(wst) ? WEXITSTATUS(wst) : -1,
		       self->node_b);

	PM_MOVE_OK(seq, 2 * NR_HUGE, HPSZ, self->node_a, st,
		   MPOL_MF_MOVE_ALL, "file order, mapped twice");
	PM_ASSERT_WHERE(mix, 2 * NR_HUGE, HPSZ, self->node_a, st,
			"interleaved view after the file-order move");
	PM_ASSERT_CONTENT(seq, half, SEED + 6, self->psz, "file A, back");
	PM_ASSERT_CONTENT(seq + half, half, SEED + 7, self->psz,
			  "file B, back");
	for (f = 0; f < 2; f++)
		close(fds[f]);
}

/*
 * NR_HUGE huge pages, private with reader threads or shared with reader
 * children, go back and forth between the nodes while the readers
 * verify them (pm_move_under_readers()).  They must end on node A with
 * every byte intact, and every pool page must be where it was.
 */
static void move_huge_under_readers(struct __test_metadata *_metadata,
				    FIXTURE_DATA(hugetlb) *self,
				    bool children)
{
	long free_a, free_b, rounds;

	if (skip_unless_free(_metadata, self, NR_HUGE + 1))
		return;
	map_huge_on_a(_metadata, self, children ? MAP_SHARED : MAP_PRIVATE,
		      SEED + 8);
	PM_ASSERT_WHERE(self->buf, NR_HUGE, HPSZ, self->node_a, self->status,
			"initial placement");
	free_a = pm_node_huge(self->node_a, "free_hugepages");
	free_b = pm_node_huge(self->node_b, "free_hugepages");

	rounds = pm_move_under_readers(_metadata, self->buf, NR_HUGE, HPSZ,
				       self->node_a, self->node_b, SEED + 8,
				       children, pm_race_seconds(3),
				       self->status);
	ASSERT_LE(2, rounds);
	PM_ASSERT_WHERE(self->buf, self->npages, self->psz, self->node_a,
			self->status, "every 4K piece after the moves");
	PM_ASSERT_CONTENT(self->buf, NR_HUGE * HPSZ, SEED + 8, self->psz,
			  "after the moves under readers");
	EXPECT_EQ(free_a, pm_node_huge(self->node_a, "free_hugepages"));
	EXPECT_EQ(free_b, pm_node_huge(self->node_b, "free_hugepages"));
	TH_LOG("%ld rounds", rounds);
}

TEST_F_TIMEOUT(hugetlb, move_while_threads_read, 90)
{
	PM_RETURN_IF_SKIPPED();
	move_huge_under_readers(_metadata, self, false);
}

TEST_F_TIMEOUT(hugetlb, move_while_children_read, 90)
{
	PM_RETURN_IF_SKIPPED();
	move_huge_under_readers(_metadata, self, true);
}

TEST_HARNESS_MAIN
