/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zram0 as a source of zsmalloc pages, the non-LRU movable pages that
 * migration moves through movable_operations: blocks written with
 * O_DIRECT live only in zsmalloc. Each block has a unique header, some
 * pseudo-random bytes (so it is not same-filled) and a pattern (so it
 * compresses), and can be regenerated from its index to check it.
 */
#ifndef PM_ZRAM_H
#define PM_ZRAM_H

#include <fcntl.h>
#include <sys/stat.h>

#include "pm_test.h"

#define PM_ZRAM		"/sys/block/zram0"
#define PM_ZRAM_BLK	4096

/* Fields of /sys/block/zram0/mm_stat. */
#define PM_ZRAM_ORIG_DATA	0
#define PM_ZRAM_COMPR_DATA	1
#define PM_ZRAM_MEM_USED	2
#define PM_ZRAM_SAME_PAGES	5
#define PM_ZRAM_COMPACTED	6

/* Block i, about 16 + (i % 7) * 150 bytes of it incompressible. */
static inline void pm_zram_block(unsigned char *p, unsigned long i)
{
	unsigned int x = 2654435761u * (i + 1), n, k;

	memset(p, 0, PM_ZRAM_BLK);
	memcpy(p, &i, sizeof(i));
	n = 16 + (i % 7) * 150;
	for (k = 16; k < n; k++) {
		x = x * 1103515245u + 12345u;
		p[k] = x >> 16;
	}
	for (; k < PM_ZRAM_BLK; k++)
		p[k] = (unsigned char)((i & 0xff) ^ (k & 15));
}

/* Field idx (0-based) of mm_stat, or -1. */
static inline long pm_zram_mm_stat(int idx)
{
	char buf[512], *s = buf, *end;
	long v = -1;
	int i;

	if (pm_read_str(PM_ZRAM "/mm_stat", buf, sizeof(buf)) <= 0)
		return -1;
	for (i = 0; i <= idx; i++) {
		v = strtol(s, &end, 10);
		if (end == s)
			return -1;
		s = end;
	}
	return v;
}

/*
 * Size zram0 and open it O_DIRECT: the fd, -ENODEV without zram0,
 * -EBUSY when it is in use, or -errno. pm_zram_reset() undoes it.
 */
static inline int pm_zram_start(const char *disksize)
{
	struct stat st;
	int fd;

	if (stat(PM_ZRAM "/disksize", &st) || stat("/dev/zram0", &st))
		return -ENODEV;
	if (pm_read_long(PM_ZRAM "/disksize") != 0)
		return -EBUSY;
	fd = pm_write_str(PM_ZRAM "/disksize", disksize);
	if (fd)
		return fd;
	fd = open("/dev/zram0", O_RDWR | O_DIRECT);
	if (fd < 0) {
		fd = -errno;
		pm_write_str(PM_ZRAM "/reset", "1");
	}
	return fd;
}

static inline int pm_zram_reset(int fd)
{
	if (fd >= 0)
		close(fd);
	return pm_write_str(PM_ZRAM "/reset", "1");
}

/* Index of the first of n blocks from block first that differs, or -1. */
static inline long pm_zram_first_bad(int fd, unsigned long first,
				     unsigned long n)
{
	static unsigned char got[PM_ZRAM_BLK] __attribute__((aligned(4096)));
	unsigned char want[PM_ZRAM_BLK];
	unsigned long i;

	for (i = first; i < first + n; i++) {
		if (pread(fd, got, PM_ZRAM_BLK, i * PM_ZRAM_BLK) != PM_ZRAM_BLK)
			return (long)i;
		pm_zram_block(want, i);
		if (memcmp(got, want, PM_ZRAM_BLK))
			return (long)i;
	}
	return -1;
}

#endif /* PM_ZRAM_H */
