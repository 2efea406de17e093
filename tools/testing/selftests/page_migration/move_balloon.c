// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-balloon pages are movable: the test has the host inflate the
 * balloon (through the harness's QMP hook, /mnt/results/balloon.req),
 * compacts memory (up to COMPACT_PASSES times) and checks that balloon
 * pages were migrated (balloon_migrate in /proc/vmstat grows), then
 * deflates the balloon. Where compaction's scanners meet before any
 * balloon page (a fresh guest can put them all above that point), the
 * memory block holding the most balloon pages is offlined instead,
 * which migrates every page of it, and onlined again.
 * A test buffer keeps every byte across all of it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "../kselftest_harness.h"
#include "pm_test.h"

#define NR_PAGES	256
#define SEED		91
#define INFLATE_MIB	512
#define REQ		"/mnt/results/balloon.req"
#define ACK		"/mnt/results/balloon.ack"

FIXTURE(balloon)
{
	size_t psz, len;
	long full_mib;
	int inflated;
	char *buf;
};

static int have_balloon_device(void)
{
	DIR *d = opendir("/sys/bus/virtio/drivers/virtio_balloon");
	struct dirent *e;
	int found = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "virtio", 6))
			found = 1;
	closedir(d);
	return found;
}

/* Ask the host for a guest size of mib MiB; 0 when it answered OK. */
static int balloon_request(long mib, char *reply, size_t len)
{
	char val[32];
	time_t end;
	int fd;

	unlink(ACK);
	snprintf(val, sizeof(val), "%ld\n", mib);
	fd = open(REQ ".tmp", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val)) {
		close(fd);
		return -EIO;
	}
	close(fd);
	if (rename(REQ ".tmp", REQ))
		return -errno;
	for (end = time(NULL) + 20; time(NULL) < end; usleep(100000)) {
		if (pm_read_str(ACK, reply, len) > 0) {
			unlink(ACK);
			return strstr(reply, "\"return\"") ? 0 : -EPROTO;
		}
	}
	return -ETIMEDOUT;
}

/* Wait until counter has grown by at least want; the growth seen. */
static long wait_counter(const char *counter, long base, long want, int secs)
{
	time_t end = time(NULL) + secs;
	long d;

	do {
		d = pm_vmstat(counter) - base;
		if (d >= want)
			break;
		usleep(200000);
	} while (time(NULL) < end);
	return d;
}

/*
 * The guest's RAM as the host sizes it, in MiB, from the top-level
 * "System RAM" ranges of /proc/iomem (root sees the addresses). Not
 * MemTotal: that lacks what the kernel reserved, KASAN's shadow (an
 * eighth of RAM) among it, so a target derived from it is too small.
 * Rounded up to 512 MiB for the firmware's holes; -1 if unreadable.
 */
static long guest_ram_mib(void)
{
	unsigned long long start, end, bytes = 0;
	char line[256];
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (line[0] != ' ' && strstr(line, " : System RAM") &&
		    sscanf(line, "%llx-%llx", &start, &end) == 2 && end > start)
			bytes += end - start + 1;
	fclose(f);
	if (!bytes)
		return -1;
	return (long)((bytes / (1024 * 1024) + 511) / 512 * 512);
}

FIXTURE_SETUP(balloon)
{
	struct stat st;

	if (!have_balloon_device())
		SKIP(return, "no virtio-balloon device bound to virtio_balloon");
	if (stat("/mnt/results", &st) || access("/mnt/results", W_OK))
		SKIP(return, "no host balloon hook (/mnt/results not writable)");
	if (pm_vmstat("balloon_migrate") < 0)
		SKIP(return, "no balloon_migrate counter (CONFIG_BALLOON_COMPACTION)");
	self->psz = getpagesize();
	self->len = NR_PAGES * self->psz;
	self->full_mib = guest_ram_mib();
	ASSERT_LT(INFLATE_MIB, self->full_mib)
		TH_LOG("guest RAM from /proc/iomem: %ld MiB", self->full_mib);
	self->buf = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	pm_fill(self->buf, self->len, SEED);
}

FIXTURE_TEARDOWN(balloon)
{
	char reply[512];
	long base = pm_vmstat("balloon_deflate");
	int ret;

	if (self->inflated) {
		ret = balloon_request(self->full_mib, reply, sizeof(reply));
		if (ret)
			TH_LOG("deflate request failed: %d", ret);
		else
			wait_counter("balloon_deflate", base, self->inflated, 30);
	}
	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, self->len);
}

/*
 * A compaction run covers a zone only up to where its two scanners
 * meet: balloon pages above that point stay put, which the layout left
 * by earlier tests can make all of them. Each run shifts that point.
 */
#define COMPACT_PASSES	3

static const char *const compact_counters[] = {
	"balloon_migrate", "pgmigrate_success", "pgmigrate_fail",
	"compact_isolated", "compact_migrate_scanned", "compact_free_scanned",
};

/* One compaction of every node, with what it did; 0 or -errno. */
static int compact_pass(struct __test_metadata *_metadata, int pass)
{
	long before[ARRAY_SIZE(compact_counters)];
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(compact_counters); i++)
		before[i] = pm_vmstat(compact_counters[i]);
	ret = pm_write_str("/proc/sys/vm/compact_memory", "1");
	for (i = 0; i < ARRAY_SIZE(compact_counters); i++)
		TH_LOG("compaction %d: %s +%ld", pass, compact_counters[i],
		       pm_vmstat(compact_counters[i]) - before[i]);
	return ret;
}

#define OFFLINE_TRIES	4
#define MAX_BLOCKS	256

/* Balloon (PG_offline) pages of memory block nr, from /proc/kpageflags. */
static long block_balloon_pages(int fd, long nr, long bpages)
{
	uint64_t flags[512];
	long i, j, n, count = 0;

	for (i = 0; i < bpages; i += n) {
		n = bpages - i < 512 ? bpages - i : 512;
		if (pread(fd, flags, n * sizeof(*flags),
			  (nr * bpages + i) * sizeof(*flags)) !=
		    (ssize_t)(n * sizeof(*flags)))
			return -1;
		for (j = 0; j < n; j++)
			count += !!(flags[j] & PM_KPF(KPF_OFFLINE));
	}
	return count;
}

/* The online block with the most balloon pages, not in tried[]; or -1. */
static long fullest_block(long bpages, const long *tried, int nr_tried,
			  long *balloon)
{
	int fd = open("/proc/kpageflags", O_RDONLY), i, b, nr_online;
	long online[MAX_BLOCKS], count, best = -1;

	*balloon = 0;
	if (fd < 0)
		return -1;
	nr_online = pm_mem_blocks(online, MAX_BLOCKS, "online");
	for (b = 0; b < nr_online; b++) {
		for (i = 0; i < nr_tried && tried[i] != online[b]; i++)
			;
		if (i < nr_tried)
			continue;
		count = block_balloon_pages(fd, online[b], bpages);
		if (count > *balloon) {
			*balloon = count;
			best = online[b];
		}
	}
	close(fd);
	return best;
}

/*
 * Offline the block with the most balloon pages and online it again,
 * trying the next fullest while a block will not go offline (it holds
 * unmovable pages). 0 once one went and came back, else -errno.
 */
static int offline_pass(struct __test_metadata *_metadata)
{
	long tried[OFFLINE_TRIES], bpages = pm_mem_block_pages(), nr, balloon;
	long migr0 = pm_vmstat("balloon_migrate");
	int i, ret = -ENOENT;

	for (i = 0; i < OFFLINE_TRIES && bpages > 0; i++) {
		nr = fullest_block(bpages, tried, i, &balloon);
		if (nr < 0)
			break;
		tried[i] = nr;
		ret = pm_mem_block_set(nr, "offline");
		TH_LOG("offline memory%ld (%ld balloon pages): %d, balloon_migrate +%ld",
		       nr, balloon, ret, pm_vmstat("balloon_migrate") - migr0);
		if (ret)
			continue;
		ret = pm_mem_block_set(nr, "online");
		if (ret)
			TH_LOG("memory%ld would not come back online: %d", nr, ret);
		return ret;
	}
	return ret;
}

TEST_F_TIMEOUT(balloon, inflate_compact_deflate, 150)
{
	long infl0, defl0, migr0, succ0, pages, got;
	char reply[512];
	int ret, pass;

	PM_RETURN_IF_SKIPPED();
	pages = INFLATE_MIB * (1024 * 1024 / self->psz);
	infl0 = pm_vmstat("balloon_inflate");
	ret = balloon_request(self->full_mib - INFLATE_MIB, reply,
			      sizeof(reply));
	ASSERT_EQ(0, ret) TH_LOG("inflate request to %ld MiB: %d (%s)",
				 self->full_mib - INFLATE_MIB, ret,
				 ret == -EPROTO ? reply : "");
	self->inflated = pages;	/* the teardown deflates from here on */
	got = wait_counter("balloon_inflate", infl0, pages, 60);
	TH_LOG("balloon inflated by %ld pages (asked %ld of %ld MiB), MemTotal %ld kB",
	       got, pages, self->full_mib, pm_meminfo_kb("MemTotal"));
	ASSERT_LE(pages, got)
		TH_LOG("balloon_inflate grew by %ld, expected %ld", got, pages);
	/* It stops where asked, or the deflate below is not of them all. */
	sleep(2);
	got = pm_vmstat("balloon_inflate") - infl0;
	ASSERT_EQ(pages, got)
		TH_LOG("balloon went on inflating: %ld pages, target %ld MiB of %ld",
		       got, self->full_mib - INFLATE_MIB, self->full_mib);
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "after inflating");

	migr0 = pm_vmstat("balloon_migrate");
	succ0 = pm_vmstat("pgmigrate_success");
	for (pass = 1; pass <= COMPACT_PASSES; pass++) {
		ASSERT_EQ(0, compact_pass(_metadata, pass));
		if (pm_vmstat("balloon_migrate") > migr0)
			break;
	}
	if (pm_vmstat("balloon_migrate") == migr0) {
		TH_LOG("%d compactions reached no balloon page", COMPACT_PASSES);
		ASSERT_EQ(0, offline_pass(_metadata));
	}
	ASSERT_LT(migr0, pm_vmstat("balloon_migrate"))
		TH_LOG("no balloon page was migrated");
	ASSERT_LE(pm_vmstat("balloon_migrate") - migr0,
		  pm_vmstat("pgmigrate_success") - succ0);
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "after compaction");

	defl0 = pm_vmstat("balloon_deflate");
	ret = balloon_request(self->full_mib, reply, sizeof(reply));
	ASSERT_EQ(0, ret) TH_LOG("deflate request: %d", ret);
	got = wait_counter("balloon_deflate", defl0, pages, 60);
	ASSERT_LE(pages, got)
		TH_LOG("balloon_deflate grew by %ld, expected %ld", got, pages);
	self->inflated = 0;
	PM_ASSERT_CONTENT(self->buf, self->len, SEED, self->psz,
			  "after deflating");
}

TEST_HARNESS_MAIN
