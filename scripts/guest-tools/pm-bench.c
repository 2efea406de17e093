// SPDX-License-Identifier: GPL-2.0
/*
 * Migration benchmark, run in the guest on both kernels:
 *   pm-bench 4k|thp THREADS SECONDS MIB
 *	move the buffer back and forth between nodes 0 and 1 with
 *	move_pages() for SECONDS while THREADS threads read it;
 *   pm-bench memcpy 0 SECONDS MIB
 *	memcpy bandwidth, the ceiling.
 * Prints one line: "RESULT mode threads units/s GB/s" and exits non-zero
 * if any byte changed.
 */
#define _GNU_SOURCE
#include <numaif.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define THP_SIZE	(2UL << 20)
#define CHUNK_BYTES	(4UL << 20)	/* bytes moved per move_pages() call */
#define MAX_THREADS	8

static atomic_int stop;
static char *buf;
static size_t len;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *reader(void *arg)
{
	volatile unsigned long sum = 0;
	size_t off;

	while (!atomic_load(&stop))
		for (off = 0; off < len && !atomic_load(&stop); off += 4096)
			sum += buf[off];
	return NULL;
}

static long move_chunk(char *start, size_t unit, size_t n, int node)
{
	void *pages[CHUNK_BYTES / 4096];
	int nodes[CHUNK_BYTES / 4096] = { 0 }, status[CHUNK_BYTES / 4096];
	long moved = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		pages[i] = start + i * unit;
		nodes[i] = node;
	}
	if (move_pages(0, n, pages, nodes, status, MPOL_MF_MOVE) < 0)
		return 0;
	for (i = 0; i < n; i++)
		moved += status[i] == node;
	return moved;
}

static double bench_move(size_t unit, double secs, double *units)
{
	size_t per_call = CHUNK_BYTES / unit, nr = len / unit, i;
	double start = now(), end = start + secs;
	long moved = 0;
	int node = 1;

	while (now() < end) {
		for (i = 0; i < nr && now() < end; i += per_call)
			moved += move_chunk(buf + i * unit, unit,
					    nr - i < per_call ? nr - i : per_call,
					    node);
		node = !node;
	}
	*units = moved / (now() - start);
	return *units * unit / 1e9;
}

static double bench_memcpy(double secs, double *units)
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
	*units = rounds * (double)(len / 4096) / (now() - start);
	free(dst);
	return *units * 4096 / 1e9;
}

int main(int argc, char **argv)
{
	pthread_t th[MAX_THREADS];
	int threads, i, thp;
	double secs, gbs, units;
	size_t off, bad = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: pm-bench 4k|thp|memcpy THREADS SECONDS MIB\n");
		return 2;
	}
	thp = !strcmp(argv[1], "thp");
	threads = atoi(argv[2]);
	secs = atof(argv[3]);
	len = strtoul(argv[4], NULL, 0) << 20;
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	buf = mmap(NULL, len + THP_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 2;
	buf = (char *)(((unsigned long)buf + THP_SIZE - 1) & ~(THP_SIZE - 1));
	madvise(buf, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	for (off = 0; off < len; off++)
		buf[off] = (char)(off * 13 + (off >> 12));
	for (i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, reader, NULL);
	if (!strcmp(argv[1], "memcpy"))
		gbs = bench_memcpy(secs, &units);
	else
		gbs = bench_move(thp ? THP_SIZE : 4096, secs, &units);
	atomic_store(&stop, 1);
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	for (off = 0; off < len; off++)
		bad += buf[off] != (char)(off * 13 + (off >> 12));
	printf("RESULT %s %d %.1f %.3f\n", argv[1], threads, units, gbs);
	if (bad)
		fprintf(stderr, "pm-bench: %zu bytes changed\n", bad);
	return bad ? 1 : 0;
}
