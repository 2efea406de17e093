// SPDX-License-Identifier: GPL-2.0
/*
 * Migration benchmark, run in the guest on every kernel compared:
 *   pm-bench 4k|thp READERS SECONDS MIB
 *	move the buffer back and forth between nodes 0 and 1 with
 *	move_pages() (4 MiB per call) for SECONDS while READERS threads,
 *	on CPUs of both nodes, read it;
 *   pm-bench migrate_pages|mbind READERS SECONDS MIB
 *	the same with migrate_pages(2) of the whole process, or with
 *	mbind(MPOL_BIND, MPOL_MF_MOVE) of the buffer;
 *   pm-bench memcpy 0 SECONDS MIB
 *	memcpy bandwidth, the ceiling;
 *   pm-bench pinned 0 ROUNDS MIB
 *	4 KiB pages on node 0, one in every 2 MiB long-term pinned (io_uring
 *	fixed buffers); time one move_pages() of every page to node 1, and
 *	one mbind(MPOL_BIND node 1, MPOL_MF_MOVE) of the range, ROUNDS times.
 * The mover runs on CPU 0. Prints
 *	"RESULT case readers units/s GB/s tlb_ipis_per_1000_pages pages"
 * (TLB-shootdown interrupts of /proc/interrupts, all CPUs, per 1000 base
 * pages moved), or for pinned one line per call:
 *	"PINNED call median_s min_s max_s moved left".
 * Exits non-zero if any byte of the buffer changed.
 */
#define _GNU_SOURCE
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
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

/* From <linux/io_uring.h>, which does not build against the tools uapi. */
#define IORING_REGISTER_BUFFERS	0
#define IO_URING_PARAMS_SIZE	120	/* struct io_uring_params */

static atomic_int stop;
static char *buf;
static size_t len;

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

/*
 * One move_pages() call of a moving case: the CHUNK_BYTES at *pos to
 * node, *pos advanced (wrapping, with *node flipped, at the end of the
 * buffer).  Returns the base pages moved.
 */
static long step_move_pages(size_t unit, size_t *pos, int *node)
{
	size_t per_call = CHUNK_BYTES / unit, nr = len / unit;
	size_t n = nr - *pos < per_call ? nr - *pos : per_call;
	int *status = malloc(per_call * sizeof(*status));
	long moved;

	if (!status)
		exit(2);
	moved = move_units(buf + *pos * unit, unit, n, *node, status);
	free(status);
	*pos += n;
	if (*pos == nr) {
		*pos = 0;
		*node = !*node;
	}
	return moved * (unit / BASE_PAGE);
}

static long step_migrate_pages(int node)
{
	unsigned long from = 1UL << !node, to = 1UL << node;

	if (syscall(__NR_migrate_pages, 0, 8 * sizeof(from), &from, &to) < 0)
		perror("pm-bench: migrate_pages");
	return pages_on(node);
}

static long step_mbind(int node)
{
	unsigned long mask = 1UL << node;

	if (mbind(buf, len, MPOL_BIND, &mask, 8 * sizeof(mask), MPOL_MF_MOVE))
		perror("pm-bench: mbind");
	return pages_on(node);
}

/*
 * Move the buffer between nodes 0 and 1 for secs of call time.  Only
 * the calls are timed; the queries that count what moved are not.
 * Returns GB/s and sets *pages_s, *ipis (per 1000 pages) and *pages.
 */
static double bench_move(const char *kind, size_t unit, double secs,
			 double *pages_s, double *ipis, long *pages)
{
	double busy = 0, t;
	long moved = 0, ipi0 = tlb_ipis(), step;
	size_t pos = 0;
	int node = 1;

	while (busy < secs) {
		t = now();
		if (!strcmp(kind, "migrate_pages")) {
			step = step_migrate_pages(node);
			node = !node;
		} else if (!strcmp(kind, "mbind")) {
			step = step_mbind(node);
			node = !node;
		} else {
			step = step_move_pages(unit, &pos, &node);
		}
		busy += now() - t;
		moved += step;
	}
	mbind(buf, len, MPOL_DEFAULT, NULL, 0, 0);
	*pages = moved;
	*pages_s = moved / busy;
	*ipis = moved ? (tlb_ipis() - ipi0) * 1000.0 / moved : 0;
	return *pages_s * BASE_PAGE / 1e9;
}

static double bench_memcpy(double secs, double *pages_s)
{
	char *dst = malloc(len);
	double start = now();
	long rounds = 0;

	if (!dst)
		exit(2);
	while (now() - start < secs) {
		memcpy(dst, buf, len);
		/* The copy must happen: make dst visible to the compiler. */
		__asm__ volatile("" : : "r"(dst) : "memory");
		rounds++;
	}
	*pages_s = rounds * (double)(len / BASE_PAGE) / (now() - start);
	free(dst);
	return *pages_s * BASE_PAGE / 1e9;
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

int main(int argc, char **argv)
{
	pthread_t th[MAX_THREADS];
	double secs, gbs, rate, ipis = 0;
	const char *kind;
	int threads, i, thp, rounds;
	long pages = 0;
	size_t bad;

	if (argc != 5) {
		fprintf(stderr, "usage: pm-bench 4k|thp|migrate_pages|mbind|memcpy READERS SECONDS MIB\n"
			"       pm-bench pinned 0 ROUNDS MIB\n");
		return 2;
	}
	kind = argv[1];
	thp = !strcmp(kind, "thp");
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
	buf = mmap(NULL, len + THP_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 2;
	buf = (char *)(((unsigned long)buf + THP_SIZE - 1) & ~(THP_SIZE - 1));
	madvise(buf, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	if (!strcmp(kind, "pinned")) {
		rounds = (int)secs;
		bad = bench_pinned(rounds < 1 ? 1 : rounds > MAX_ROUNDS ?
				   MAX_ROUNDS : rounds);
		goto out;
	}
	fill();
	{
		int *status = malloc(len / BASE_PAGE * sizeof(*status));

		if (!status)
			return 2;
		/* Start from node 0. */
		move_units(buf, thp ? THP_SIZE : BASE_PAGE,
			   len / (thp ? THP_SIZE : BASE_PAGE), 0, status);
		free(status);
	}
	for (i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, reader, (void *)(long)reader_cpu(i));
	if (!strcmp(kind, "memcpy"))
		gbs = bench_memcpy(secs, &rate);
	else
		gbs = bench_move(kind, thp ? THP_SIZE : BASE_PAGE, secs, &rate,
				 &ipis, &pages);
	atomic_store(&stop, 1);
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	bad = count_bad();
	printf("RESULT %s %d %.1f %.3f %.1f %ld\n", kind, threads, rate, gbs,
	       ipis, pages);
out:
	if (bad)
		fprintf(stderr, "pm-bench: %zu bytes changed\n", bad);
	return bad ? 1 : 0;
}
