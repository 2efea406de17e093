// SPDX-License-Identifier: GPL-2.0
/*
 * Small guest helper for the demo:
 *   pm-tool hold MIB      fill MIB of anon memory with a pattern, print
 *                         "pid addr pages", wait for a line on stdin,
 *                         then verify every byte and exit 0 if intact.
 *   pm-tool status PID ADDR PAGES
 *                         print how many of the pages sit on each node
 *                         (move_pages query mode).
 */
#include <numaif.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_NODES 64

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + (i >> 12));
}

static int hold(size_t mib)
{
	size_t len = mib << 20, i, bad = 0;
	unsigned char *p;
	char line[16];

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (i = 0; i < len; i++)
		p[i] = pattern(i);
	printf("%d %p %zu\n", getpid(), (void *)p, len / getpagesize());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		line[0] = 0;
	for (i = 0; i < len; i++)
		bad += p[i] != pattern(i);
	printf("hold: %zu of %zu bytes differ after migration\n", bad, len);
	return bad != 0;
}

static int status(int pid, unsigned long addr, unsigned long n)
{
	long psz = getpagesize(), count[MAX_NODES] = { 0 }, other = 0;
	void **pages = calloc(n, sizeof(*pages));
	int *st = calloc(n, sizeof(*st));
	unsigned long i;

	if (!pages || !st)
		return 1;
	for (i = 0; i < n; i++)
		pages[i] = (void *)(addr + i * psz);
	if (move_pages(pid, n, pages, NULL, st, 0)) {
		perror("move_pages");
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (st[i] >= 0 && st[i] < MAX_NODES)
			count[st[i]]++;
		else
			other++;
	}
	for (i = 0; i < MAX_NODES; i++)
		if (count[i])
			printf("node %lu: %ld pages\n", i, count[i]);
	if (other)
		printf("not present or error: %ld pages\n", other);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold(strtoul(argv[2], NULL, 0));
	if (argc == 5 && !strcmp(argv[1], "status"))
		return status(atoi(argv[2]), strtoul(argv[3], NULL, 0),
			      strtoul(argv[4], NULL, 0));
	fprintf(stderr, "usage: pm-tool hold MIB | status PID ADDR PAGES\n");
	return 2;
}
