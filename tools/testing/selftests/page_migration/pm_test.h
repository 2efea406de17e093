/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the page-migration selftests: node discovery, page
 * patterns that differ per page and per byte, and a move_pages()
 * wrapper that reports where each page ended up.
 */
#ifndef PM_TEST_H
#define PM_TEST_H

#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Two distinct nodes with memory, or -1 in both when there are none. */
static inline void pm_pick_nodes(int *a, int *b)
{
	int n, found = 0;

	*a = -1;
	*b = -1;
	if (numa_available() < 0)
		return;
	for (n = 0; n <= numa_max_node() && found < 2; n++) {
		if (!numa_bitmask_isbitset(numa_nodes_ptr, n) ||
		    numa_node_size64(n, NULL) <= 0)
			continue;
		if (found++ == 0)
			*a = n;
		else
			*b = n;
	}
	if (found < 2)
		*a = *b = -1;
}

static inline unsigned char pm_byte(unsigned long seed, size_t off)
{
	return (unsigned char)(seed * 131 + off * 7 + (off >> 9));
}

static inline void pm_fill(void *buf, size_t len, unsigned long seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pm_byte(seed, i);
}

/* Offset of the first byte that differs from the pattern, or -1. */
static inline long pm_first_bad(const void *buf, size_t len,
				unsigned long seed)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pm_byte(seed, i))
			return (long)i;
	return -1;
}

/*
 * Move npages pages starting at addr (stride bytes apart) to node.
 * status[] gets the kernel's per-page answer. Returns move_pages().
 */
static inline long pm_move(void *addr, unsigned long npages, size_t stride,
			   int node, int *status, int flags)
{
	void **pages = calloc(npages, sizeof(*pages));
	int *nodes = calloc(npages, sizeof(*nodes));
	unsigned long i;
	long ret;

	if (!pages || !nodes)
		return -ENOMEM;
	for (i = 0; i < npages; i++) {
		pages[i] = (char *)addr + i * stride;
		nodes[i] = node;
	}
	ret = move_pages(0, npages, pages, nodes, status, flags);
	if (ret < 0)
		ret = -errno;
	free(pages);
	free(nodes);
	return ret;
}

/* Query where each page is (move_pages() with nodes == NULL). */
static inline long pm_where(void *addr, unsigned long npages, size_t stride,
			    int *status)
{
	void **pages = calloc(npages, sizeof(*pages));
	unsigned long i;
	long ret;

	if (!pages)
		return -ENOMEM;
	for (i = 0; i < npages; i++)
		pages[i] = (char *)addr + i * stride;
	ret = move_pages(0, npages, pages, NULL, status, 0);
	if (ret < 0)
		ret = -errno;
	free(pages);
	return ret;
}

#endif /* PM_TEST_H */
