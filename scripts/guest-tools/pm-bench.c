// SPDX-License-Identifier: GPL-2.0
/*
 * Migration benchmark, run in the guest on every kernel compared:
 *   pm-bench 4k|thp|hugetlb|single READERS SECONDS MIB
 *	move the buffer back and forth between nodes 0 and 1 with
 *	move_pages() (4 MiB per call; single: one 4 KiB page per call) for
 *	SECONDS while READERS threads, on CPUs of both nodes, read it;
 *	hugetlb needs 2 MiB pool pages on both nodes;
 *   pm-bench migrate_pages|mbind READERS SECONDS MIB
 *	the same with migrate_pages(2) of the whole process, or with
 *	mbind(MPOL_BIND, MPOL_MF_MOVE) of the buffer;
 *   pm-bench memcpy THREADS SECONDS MIB
 *	memcpy bandwidth, the ceiling: THREADS threads (0 or 1: the main
 *	one alone), each on a CPU of its own, copy their share of the buffer;
 *   pm-bench pinned 0 ROUNDS MIB
 *	4 KiB pages on node 0, one in every 2 MiB long-term pinned (io_uring
 *	fixed buffers); time one move_pages() of every page to node 1, and
 *	one mbind(MPOL_BIND node 1, MPOL_MF_MOVE) of the range, ROUNDS times;
 *   pm-bench next_touch THREADS ROUNDS MIB
 *	time to locality: 4 KiB pages first touched on node 0, then wanted
 *	on node 1 by THREADS threads there, each reading its own share.
 *	Three ways, ROUNDS times each: mbind(MPOL_MF_MOVE | MPOL_MF_LAZY);
 *	the user-space next-touch emulation (mprotect(PROT_NONE), and a
 *	SIGSEGV handler that unprotects and move_pages() the faulting page);
 *	and an explicit move_pages() of each thread's share by that thread.
 * The mover runs on CPU 0. Prints
 *	"RESULT case readers units/s GB/s tlb_ipis_per_1000_pages pages
 *	 unaliased_GB/s aliased_calls_%"
 * (TLB-shootdown interrupts of /proc/interrupts, all CPUs, per 1000 base
 * pages moved; the last two for thp and hugetlb only, see ALIAS_SPAN, -1
 * otherwise), for pinned one line per call:
 *	"PINNED call median_s min_s max_s moved left",
 * and for next_touch one line per way (seconds until every page was
 * read once on node 1; GB/s the threads read meanwhile; -1 if the kernel
 * refuses the way; TLB-shootdown interrupts per 1000 pages):
 *	"LOCALITY way threads median_s min_s max_s gb_s left ipis_per_1000".
 * The case name printed is the kind followed by $PM_BENCH_TAG, if set.
 * Exits non-zero if any byte of the buffer changed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define THP_SIZE	(2UL << 20)
#define CHUNK_BYTES	(4UL << 20)	/* bytes moved per move_pages() call */
#define BASE_PAGE	4096UL
#define MAX_THREADS	8
#define MAX_ROUNDS	9
#define PIN_EVERY	(2UL << 20)	/* one pinned page per this many bytes */

#ifndef MPOL_MF_LAZY
#define MPOL_MF_LAZY	(1 << 3)
#endif

/* From <linux/io_uring.h>, which does not build against the tools uapi. */
#define IORING_REGISTER_BUFFERS	0
#define IO_URING_PARAMS_SIZE	120	/* struct io_uring_params */

/*
 * Under QEMU's TCG a page copies several times slower when its src and
 * dst lie a multiple of the soft TLB's span apart: that TLB is direct
 * mapped, both take the same entry, and the copy's loads and stores
 * evict each other.  With a full flush per huge page moved, the span
 * mostly settles at 8 MiB (2048 entries).  Where the allocator puts src and
 * dst differs from guest to guest, so how many calls meet such a pair
 * is a lottery that can halve a huge-page case's figure, on any kernel.
 * The huge-page cases so also time the calls that met none apart, read
 * from pagemap outside the timed calls: like for like on every kernel.
 */
#define ALIAS_SPAN	(8UL << 20)

static atomic_int stop;
static int pagemap_fd = -1;	/* huge-page cases only */
static char *buf;
static size_t len;
static size_t call_bytes = CHUNK_BYTES;	/* bytes per move_pages() call */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bind_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Sum of the TLB-shootdown row of /proc/interrupts over all CPUs. */
static long tlb_ipis(void)
{
	char line[4096], *p, *end;
	FILE *f = fopen("/proc/interrupts", "r");
	long sum = -1, v;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " ");
		if (strncmp(p, "TLB:", 4))
			continue;
		sum = 0;
		for (p += 4; ; p = end) {
			v = strtol(p, &end, 10);
			if (end == p)
				break;
			sum += v;
		}
		break;
	}
	fclose(f);
	return sum;
}

/*
 * The CPU of reader i: never CPU 0 (the mover's), alternating between
 * the nodes, the other node first.
 */
static int reader_cpu(int i)
{
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), node, cpu, k;
	int want = (i % 2 == 0) ? 1 : 0, seen = 0;

	if (ncpu < 2)
		return 0;
	for (k = 0; k < 2 * ncpu; k++) {
		cpu = 1 + k % (ncpu - 1);
		node = numa_node_of_cpu(cpu);
		if ((node != 0) == (want != 0) && seen++ == i / 2)
			return cpu;
	}
	return 1 + i % (ncpu - 1);
}

static void *reader(void *arg)
{
	volatile unsigned long sum = 0;
	size_t off;

	bind_to_cpu((int)(long)arg);
	while (!atomic_load(&stop))
		for (off = 0; off < len && !atomic_load(&stop); off += BASE_PAGE)
			sum += buf[off];
	return NULL;
}

static void fill(void)
{
	size_t off;

	for (off = 0; off < len; off++)
		buf[off] = (char)(off * 13 + (off >> 12));
}

static size_t count_bad(void)
{
	size_t off, bad = 0;

	for (off = 0; off < len; off++)
		bad += buf[off] != (char)(off * 13 + (off >> 12));
	return bad;
}

/*
 * move_pages() of n units of unit bytes from start to node (a query when
 * node < 0); status[] gets the answers.  Returns the units now on node.
 */
static long move_units(char *start, size_t unit, size_t n, int node,
		       int *status)
{
	void **pages = calloc(n, sizeof(*pages));
	int *nodes = calloc(n, sizeof(*nodes));
	long there = 0;
	size_t i;

	if (!pages || !nodes)
		exit(2);
	for (i = 0; i < n; i++) {
		pages[i] = start + i * unit;
		nodes[i] = node;
		status[i] = -1;
	}
	move_pages(0, n, pages, node < 0 ? NULL : nodes, status, MPOL_MF_MOVE);
	for (i = 0; i < n; i++)
		there += node >= 0 && status[i] == node;
	free(pages);
	free(nodes);
	return there;
}

/* Base pages of the buffer that are on node. */
static long pages_on(int node)
{
	size_t i, n = len / BASE_PAGE;
	int *status = malloc(n * sizeof(*status));
	long there = 0;

	if (!status)
		exit(2);
	move_units(buf, BASE_PAGE, n, -1, status);
	for (i = 0; i < n; i++)
		there += status[i] == node;
	free(status);
	return there;
}

/* The calls of a huge-page case that met no aliased pair (ALIAS_SPAN). */
struct alias_tally {
	double secs;		/* their time */
	long pages;		/* base pages they moved */
	long calls, aliased;	/* all calls timed, those that met a pair */
	bool blind;		/* a pfn could not be read: no figures */
};

/* The pfn of the page at p, 0 if pagemap cannot tell. */
static uint64_t pfn_of(const char *p)
{
	uint64_t ent = 0;

	if (pread(pagemap_fd, &ent, sizeof(ent),
		  (uintptr_t)p / BASE_PAGE * sizeof(ent)) != sizeof(ent))
		return 0;
	return ent & ((1ULL << 55) - 1);
}

/*
 * Book a call of n units from start that took secs and moved pages base
 * pages: aliased if a unit's dst lies a multiple of ALIAS_SPAN from its
 * src, whose pfns are in from[].
 */
static void tally_call(struct alias_tally *tally, const uint64_t *from,
		       const char *start, size_t unit, size_t n, double secs,
		       long pages)
{
	bool aliased = false;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t to = pfn_of(start + i * unit);

		if (!from[i] || !to)
			tally->blind = true;
		else if (from[i] != to &&
			 (to - from[i]) % (ALIAS_SPAN / BASE_PAGE) == 0)
			aliased = true;
	}
	tally->calls++;
	if (aliased) {
		tally->aliased++;
	} else {
		tally->secs += secs;
		tally->pages += pages;
	}
}

/*
 * One move_pages() call of a moving case: the call_bytes at *pos to
 * node, *pos advanced (wrapping, with *node flipped, at the end of the
 * buffer).  Times the call alone into *secs, and tallies it in *tally
 * when there is one.  Returns the base pages moved.
 */
static long step_move_pages(size_t unit, size_t *pos, int *node,
			    double *secs, struct alias_tally *tally)
{
	size_t per_call = call_bytes / unit, nr = len / unit;
	size_t n = nr - *pos < per_call ? nr - *pos : per_call, i;
	int *status = malloc(per_call * sizeof(*status));
	uint64_t *from = calloc(per_call, sizeof(*from));
	char *start = buf + *pos * unit;
	long moved;
	double t;

	if (!status || !from)
		exit(2);
	for (i = 0; tally && i < n; i++)
		from[i] = pfn_of(start + i * unit);
	t = now();
	moved = move_units(start, unit, n, *node, status) * (unit / BASE_PAGE);
	*secs = now() - t;
	if (tally)
		tally_call(tally, from, start, unit, n, *secs, moved);
	free(from);
	free(status);
	*pos += n;
	if (*pos == nr) {
		*pos = 0;
		*node = !*node;
	}
	return moved;
}

/* The whole process to node, the call alone timed into *secs. */
static long step_migrate_pages(int node, double *secs)
{
	unsigned long from = 1UL << !node, to = 1UL << node;
	double t = now();
	long ret = syscall(__NR_migrate_pages, 0, 8 * sizeof(from), &from, &to);

	*secs = now() - t;
	if (ret < 0)
		perror("pm-bench: migrate_pages");
	return pages_on(node);
}

/* The buffer to node, the call alone timed into *secs. */
static long step_mbind(int node, double *secs)
{
	unsigned long mask = 1UL << node;
	double t = now();
	int ret = mbind(buf, len, MPOL_BIND, &mask, 8 * sizeof(mask),
			MPOL_MF_MOVE);

	*secs = now() - t;
	if (ret)
		perror("pm-bench: mbind");
	return pages_on(node);
}

/*
 * Move the buffer between nodes 0 and 1 for secs of call time.  Only
 * the calls are timed; the queries that count what moved are not.
 * Returns GB/s and sets *pages_s, *ipis (per 1000 pages) and *pages;
 * *tally, when not NULL, gets the calls that met no aliased pair.
 */
static double bench_move(const char *kind, size_t unit, double secs,
			 double *pages_s, double *ipis, long *pages,
			 struct alias_tally *tally)
{
	double busy = 0, call;
	long moved = 0, ipi0 = tlb_ipis();
	size_t pos = 0;
	int node = 1;

	while (busy < secs) {
		if (!strcmp(kind, "migrate_pages")) {
			moved += step_migrate_pages(node, &call);
			node = !node;
		} else if (!strcmp(kind, "mbind")) {
			moved += step_mbind(node, &call);
			node = !node;
		} else {
			moved += step_move_pages(unit, &pos, &node, &call, tally);
		}
		busy += call;
	}
	mbind(buf, len, MPOL_DEFAULT, NULL, 0, 0);
	*pages = moved;
	*pages_s = moved / busy;
	*ipis = moved ? (tlb_ipis() - ipi0) * 1000.0 / moved : 0;
	return *pages_s * BASE_PAGE / 1e9;
}

struct copier {
	pthread_t th;
	int cpu;
	const char *from;
	size_t bytes;
	double secs;
	long rounds;
};

/* Copy one share of the buffer over and over for c->secs. */
static void *copier(void *arg)
{
	struct copier *c = arg;
	char *dst = malloc(c->bytes);
	double start;

	/* Not the mover's CPU 0 inherited: each thread on a CPU of its own. */
	bind_to_cpu(c->cpu);
	start = now();

	if (!dst)
		exit(2);
	while (now() - start < c->secs) {
		memcpy(dst, c->from, c->bytes);
		/* The copy must happen: make dst visible to the compiler. */
		__asm__ volatile("" : : "r"(dst) : "memory");
		c->rounds++;
	}
	free(dst);
	return NULL;
}

/*
 * memcpy bandwidth of threads threads, each on its own share and its own
 * CPU (round robin when there are more threads than CPUs).
 */
static double bench_memcpy(int threads, double secs, double *pages_s)
{
	struct copier c[MAX_THREADS];
	double start = now(), bytes = 0;
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), i;

	if (threads < 1)
		threads = 1;
	if (ncpu < 1)
		ncpu = 1;
	for (i = 0; i < threads; i++) {
		c[i].cpu = i % ncpu;
		c[i].from = buf + i * (len / threads);
		c[i].bytes = len / threads;
		c[i].secs = secs;
		c[i].rounds = 0;
		if (i && pthread_create(&c[i].th, NULL, copier, &c[i]))
			exit(2);
	}
	copier(&c[0]);
	for (i = 1; i < threads; i++)
		pthread_join(c[i].th, NULL);
	for (i = 0; i < threads; i++)
		bytes += (double)c[i].rounds * c[i].bytes;
	*pages_s = bytes / BASE_PAGE / (now() - start);
	return bytes / 1e9 / (now() - start);
}

/* Pin one page in every PIN_EVERY bytes; the ring fd keeps the pins. */
static int pin_some(void)
{
	uint64_t p[IO_URING_PARAMS_SIZE / 8] = { 0 };
	struct iovec iov[4096];
	size_t off;
	int ring, n = 0;

	ring = syscall(__NR_io_uring_setup, 4, p);
	if (ring < 0) {
		perror("pm-bench: io_uring_setup");
		exit(2);
	}
	for (off = 0; off < len && n < 4096; off += PIN_EVERY) {
		iov[n].iov_base = buf + off;
		iov[n++].iov_len = BASE_PAGE;
	}
	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS,
		    iov, n)) {
		perror("pm-bench: IORING_REGISTER_BUFFERS");
		exit(2);
	}
	return ring;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report_pinned(const char *call, double *t, int rounds,
			  long moved)
{
	qsort(t, rounds, sizeof(*t), cmp_double);
	printf("PINNED %s %.4f %.4f %.4f %ld %ld\n", call, t[rounds / 2],
	       t[0], t[rounds - 1], moved, (long)(len / BASE_PAGE) - moved);
}

/* The pinned case: returns the number of bytes that changed. */
static size_t bench_pinned(int rounds)
{
	double t_move[MAX_ROUNDS], t_mbind[MAX_ROUNDS], start;
	long moved_move = 0, moved_mbind = 0;
	size_t bad = 0, n = len / BASE_PAGE;
	unsigned long mask1 = 1UL << 1;
	int *status = malloc(n * sizeof(int));
	int r, ring;

	if (!status)
		exit(2);
	for (r = 0; r < rounds; r++) {
		fill();
		move_units(buf, BASE_PAGE, n, 0, status);
		ring = pin_some();

		start = now();
		move_units(buf, BASE_PAGE, n, 1, status);
		t_move[r] = now() - start;
		moved_move = pages_on(1);

		move_units(buf, BASE_PAGE, n, 0, status);
		start = now();
		if (mbind(buf, len, MPOL_BIND, &mask1, 8 * sizeof(mask1),
			  MPOL_MF_MOVE))
			perror("pm-bench: mbind");
		t_mbind[r] = now() - start;
		moved_mbind = pages_on(1);

		mbind(buf, len, MPOL_DEFAULT, NULL, 0, 0);
		close(ring);
		bad += count_bad();
	}
	report_pinned("move_pages", t_move, rounds, moved_move);
	report_pinned("mbind", t_mbind, rounds, moved_mbind);
	free(status);
	return bad;
}

/*
 * Time to locality.  The threads wait for the go, then (explicit way)
 * move their share, then read it page by page until told to stop; the
 * end of each thread's first pass is when its share was all used on
 * node 1.
 */
enum nt_way { NT_LAZY, NT_EMULATE, NT_EXPLICIT, NT_WAYS };
static const char *const nt_name[NT_WAYS] = { "lazy", "emulate", "explicit" };

struct nt_thread {
	pthread_t th;
	int cpu;
	char *start;
	size_t bytes;
	double first_pass;	/* when the first pass ended */
	double read;		/* bytes read before the stop */
};

static atomic_int nt_go, nt_done;
static enum nt_way nt_cur;

static void nt_segv(int sig, siginfo_t *si, void *uc)
{
	void *page = (void *)((unsigned long)si->si_addr & ~(BASE_PAGE - 1));
	int node = 1, status;

	/* Unprotect first: 6.1's move_pages() cannot see PROT_NONE ptes. */
	if (mprotect(page, BASE_PAGE, PROT_READ | PROT_WRITE))
		_exit(3);
	syscall(__NR_move_pages, 0, 1UL, &page, &node, &status, MPOL_MF_MOVE);
}

static void *nt_worker(void *arg)
{
	struct nt_thread *t = arg;
	size_t n = t->bytes / BASE_PAGE, i, off, passes = 0;
	volatile uint64_t sink = 0;

	bind_to_cpu(t->cpu);
	while (!atomic_load(&nt_go))
		;
	if (nt_cur == NT_EXPLICIT) {
		int *status = malloc(n * sizeof(*status));

		if (!status)
			exit(2);
		move_units(t->start, BASE_PAGE, n, 1, status);
		free(status);
	}
	t->read = 0;
	for (;;) {
		for (i = 0; i < n; i++) {
			const uint64_t *w = (const uint64_t *)(t->start + i * BASE_PAGE);
			uint64_t sum = 0;

			if (passes && atomic_load(&stop))
				goto out;
			for (off = 0; off < BASE_PAGE / 8; off++)
				sum += w[off];
			sink += sum;
			t->read += BASE_PAGE;
		}
		if (!passes++) {
			t->first_pass = now();
			atomic_fetch_add(&nt_done, 1);
		}
	}
out:
	return NULL;
}

/* The CPUs of node 1, for the threads; returns how many (at most max). */
static int node1_cpus(int *cpus, int max)
{
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), cpu, n = 0;

	for (cpu = 0; cpu < ncpu && n < max; cpu++)
		if (numa_node_of_cpu(cpu) == 1)
			cpus[n++] = cpu;
	return n;
}

/*
 * One round of one way on a fresh buffer first touched on node 0.
 * Returns the seconds to locality (-1 if the kernel refuses the way),
 * and sets *gbs, *left (pages not on node 1) and adds to *bad.
 */
static double nt_round(enum nt_way way, int threads, double *gbs,
		       double *ipis, long *left, size_t *bad)
{
	struct nt_thread t[MAX_THREADS];
	unsigned long mask1 = 1UL << 1;
	struct sigaction sa = { 0 };
	int cpus[MAX_THREADS], ncpu, i, *status;
	double t0, t_stop, end = 0, read = 0, secs = -1;
	long ipi0;
	size_t share, n;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		exit(2);
	madvise(buf, len, MADV_NOHUGEPAGE);
	fill();		/* on CPU 0, so on node 0 */
	n = len / BASE_PAGE;
	status = malloc(n * sizeof(*status));
	if (!status)
		exit(2);
	move_units(buf, BASE_PAGE, n, 0, status);

	ncpu = node1_cpus(cpus, MAX_THREADS);
	if (!ncpu)
		exit(2);
	share = len / threads & ~(BASE_PAGE - 1);
	atomic_store(&nt_go, 0);
	atomic_store(&nt_done, 0);
	atomic_store(&stop, 0);
	nt_cur = way;
	for (i = 0; i < threads; i++) {
		t[i].cpu = cpus[i % ncpu];
		t[i].start = buf + i * share;
		t[i].bytes = i == threads - 1 ? len - i * share : share;
		pthread_create(&t[i].th, NULL, nt_worker, &t[i]);
	}
	usleep(100000);		/* let the threads reach their CPUs */

	ipi0 = tlb_ipis();
	t0 = now();
	if (way == NT_LAZY &&
	    mbind(buf, len, MPOL_BIND, &mask1, 8 * sizeof(mask1),
		  MPOL_MF_MOVE | MPOL_MF_LAZY))
		goto refused;
	if (way == NT_EMULATE) {
		sa.sa_sigaction = nt_segv;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGSEGV, &sa, NULL);
		if (mprotect(buf, len, PROT_NONE))
			exit(2);
	}
	atomic_store(&nt_go, 1);
	while (atomic_load(&nt_done) < threads)
		usleep(200);
	for (i = 0; i < threads; i++)
		end = t[i].first_pass > end ? t[i].first_pass : end;
	secs = end - t0;
	goto join;
refused:
	atomic_store(&nt_go, 1);
join:
	t_stop = now();
	*ipis = (tlb_ipis() - ipi0) * 1000.0 / n;
	atomic_store(&stop, 1);
	for (i = 0; i < threads; i++) {
		pthread_join(t[i].th, NULL);
		read += t[i].read;
	}
	signal(SIGSEGV, SIG_DFL);
	*gbs = secs > 0 ? read / (t_stop - t0) / 1e9 : -1;
	*left = (long)n - pages_on(1);
	*bad += count_bad();
	mbind(buf, len, MPOL_DEFAULT, NULL, 0, 0);
	munmap(buf, len);
	free(status);
	return secs;
}

/* The next_touch case: returns the number of bytes that changed. */
static size_t bench_next_touch(int threads, int rounds)
{
	double t[NT_WAYS][MAX_ROUNDS], g[NT_WAYS][MAX_ROUNDS];
	double ipi[NT_WAYS][MAX_ROUNDS];
	long left[NT_WAYS] = { 0 };
	size_t bad = 0;
	int r, w;

	for (r = 0; r < rounds; r++)
		for (w = 0; w < NT_WAYS; w++)
			t[w][r] = nt_round(w, threads, &g[w][r], &ipi[w][r],
					   &left[w], &bad);
	for (w = 0; w < NT_WAYS; w++) {
		qsort(t[w], rounds, sizeof(double), cmp_double);
		qsort(g[w], rounds, sizeof(double), cmp_double);
		qsort(ipi[w], rounds, sizeof(double), cmp_double);
		printf("LOCALITY %s %d %.4f %.4f %.4f %.3f %ld %.1f\n",
		       nt_name[w], threads, t[w][rounds / 2], t[w][0],
		       t[w][rounds - 1], g[w][rounds / 2], left[w],
		       ipi[w][rounds / 2]);
	}
	return bad;
}

int main(int argc, char **argv)
{
	pthread_t th[MAX_THREADS];
	double secs, gbs, rate, ipis = 0;
	const char *kind;
	int threads, i, thp, huge, rounds, flags;
	const char *tag = getenv("PM_BENCH_TAG");
	struct alias_tally tally = { 0 };
	size_t unit;
	long pages = 0;
	size_t bad;

	if (argc != 5) {
		fprintf(stderr, "usage: pm-bench 4k|thp|hugetlb|single|migrate_pages|mbind|memcpy READERS SECONDS MIB\n"
			"       pm-bench pinned 0 ROUNDS MIB\n"
			"       pm-bench next_touch THREADS ROUNDS MIB\n");
		return 2;
	}
	kind = argv[1];
	thp = !strcmp(kind, "thp");
	huge = !strcmp(kind, "hugetlb");
	unit = thp || huge ? THP_SIZE : BASE_PAGE;
	if (unit > BASE_PAGE)
		pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	if (!strcmp(kind, "single"))
		call_bytes = BASE_PAGE;
	threads = atoi(argv[2]);
	secs = atof(argv[3]);
	len = strtoul(argv[4], NULL, 0) << 20;
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	if (numa_available() < 0 || numa_max_node() < 1) {
		fprintf(stderr, "pm-bench: needs two NUMA nodes\n");
		return 2;
	}
	bind_to_cpu(0);
	/* For pinned and next_touch, SECONDS is the number of rounds. */
	rounds = secs < 1 ? 1 : secs > MAX_ROUNDS ? MAX_ROUNDS : (int)secs;
	if (!strcmp(kind, "next_touch")) {
		/* Each round maps a buffer of its own. */
		bad = bench_next_touch(threads < 1 ? 1 : threads, rounds);
		goto out;
	}
	flags = MAP_PRIVATE | MAP_ANONYMOUS | (huge ? MAP_HUGETLB : 0);
	buf = mmap(NULL, len + THP_SIZE, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (buf == MAP_FAILED) {
		perror("pm-bench: mmap");
		return 2;
	}
	buf = (char *)(((unsigned long)buf + THP_SIZE - 1) & ~(THP_SIZE - 1));
	madvise(buf, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	if (!strcmp(kind, "pinned")) {
		bad = bench_pinned(rounds);
		goto out;
	}
	fill();
	{
		int *status = malloc(len / BASE_PAGE * sizeof(*status));

		if (!status)
			return 2;
		/* Start from node 0. */
		move_units(buf, unit, len / unit, 0, status);
		free(status);
	}
	if (!strcmp(kind, "memcpy")) {
		/* READERS is the number of copying threads here. */
		gbs = bench_memcpy(threads, secs, &rate);
		threads = 0;
	} else {
		for (i = 0; i < threads; i++)
			pthread_create(&th[i], NULL, reader,
				       (void *)(long)reader_cpu(i));
		gbs = bench_move(kind, unit, secs, &rate, &ipis, &pages,
				 pagemap_fd >= 0 ? &tally : NULL);
	}
	atomic_store(&stop, 1);
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	bad = count_bad();
	printf("RESULT %s%s %s %.1f %.3f %.1f %ld %.3f %.1f\n", kind,
	       tag ? tag : "", argv[2], rate, gbs, ipis, pages,
	       tally.secs > 0 && !tally.blind ?
	       tally.pages * BASE_PAGE / tally.secs / 1e9 : -1,
	       tally.calls && !tally.blind ?
	       100.0 * tally.aliased / tally.calls : -1);
out:
	if (bad)
		fprintf(stderr, "pm-bench: %zu bytes changed\n", bad);
	return bad ? 1 : 0;
}
