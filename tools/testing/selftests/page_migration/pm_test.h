/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the page-migration selftests: node discovery, page
 * patterns that differ per page and per byte, and a move_pages()
 * wrapper that reports where each page ended up.
 */
#ifndef PM_TEST_H
#define PM_TEST_H

#include <dirent.h>
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* Enough for every node of the guests (and one mask word in the tests). */
#define PM_MAX_NODES	64

/* The online nodes with memory, lowest first: how many (at most max). */
static inline int pm_memory_nodes(int *nodes, int max)
{
	int n, found = 0;

	if (numa_available() < 0)
		return 0;
	for (n = 0; n <= numa_max_node() && found < max; n++) {
		if (!numa_bitmask_isbitset(numa_nodes_ptr, n) ||
		    numa_node_size64(n, NULL) <= 0)
			continue;
		nodes[found++] = n;
	}
	return found;
}

/* Two distinct nodes with memory, or -1 in both when there are none. */
static inline void pm_pick_nodes(int *a, int *b)
{
	int nodes[2];

	*a = *b = -1;
	if (pm_memory_nodes(nodes, 2) < 2)
		return;
	*a = nodes[0];
	*b = nodes[1];
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
 * move_pages() on npages pages of process pid, stride bytes apart from
 * addr: page i to nodes[i], or a query when nodes is NULL. Its return
 * value, or -errno.
 */
static inline long pm_move_each_pid(pid_t pid, void *addr, unsigned long npages,
				    size_t stride, const int *nodes,
				    int *status, int flags)
{
	void **pages = calloc(npages, sizeof(*pages));
	unsigned long i;
	long ret;

	if (!pages)
		return -ENOMEM;
	for (i = 0; i < npages; i++)
		pages[i] = (char *)addr + i * stride;
	ret = move_pages(pid, npages, pages, nodes, status, flags);
	if (ret < 0)
		ret = -errno;
	free(pages);
	return ret;
}

/* Query the nodes of npages pages of process pid: 0 or -errno. */
static inline long pm_where_pid(pid_t pid, void *addr, unsigned long npages,
				size_t stride, int *status)
{
	return pm_move_each_pid(pid, addr, npages, stride, NULL, status, 0);
}

/* Move npages pages of process pid to node: move_pages() or -errno. */
static inline long pm_move_pid(pid_t pid, void *addr, unsigned long npages,
			       size_t stride, int node, int *status, int flags)
{
	int *nodes = calloc(npages, sizeof(*nodes));
	unsigned long i;
	long ret;

	if (!nodes)
		return -ENOMEM;
	for (i = 0; i < npages; i++)
		nodes[i] = node;
	ret = pm_move_each_pid(pid, addr, npages, stride, nodes, status, flags);
	free(nodes);
	return ret;
}

/*
 * Move npages pages of this process starting at addr (stride bytes
 * apart) to node; status[] gets the kernel's per-page answer.
 */
static inline long pm_move(void *addr, unsigned long npages, size_t stride,
			   int node, int *status, int flags)
{
	return pm_move_pid(0, addr, npages, stride, node, status, flags);
}

/* Query where each page is (move_pages() with nodes == NULL). */
static inline long pm_where(void *addr, unsigned long npages, size_t stride,
			    int *status)
{
	return pm_where_pid(0, addr, npages, stride, status);
}

/* ---- more helpers for the per-kind tests (move_*.c) ---- */

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <linux/kernel-page-flags.h>
#include <sys/types.h>
#include <time.h>
#include <sys/wait.h>

/*
 * The 6.1 harness runs a TEST_F body even when its FIXTURE_SETUP called
 * SKIP(); the body starts with this so that a skip stays a skip.
 */
#define PM_RETURN_IF_SKIPPED() do { if (_metadata->skip) return; } while (0)

/* Pin the calling thread to cpu: 0, or -1 with errno. */
static inline int pm_pin_to(int cpu)
{
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(cpu, &cpus);
	return sched_setaffinity(0, sizeof(cpus), &cpus);
}

/*
 * Pin the caller to the CPU it runs on, in *cpu, and pick another CPU
 * for a second thread, in *other: 0, or -1 with fewer than two CPUs.
 */
static inline int pm_pin_here(int *cpu, int *other)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return -1;
	*cpu = sched_getcpu();
	*other = *cpu ? 0 : 1;
	return pm_pin_to(*cpu);
}

/* Write a string to a sysfs/procfs file: 0 or -errno. */
static inline int pm_write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return 0;
}

static inline int pm_write_long(const char *path, long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", val);
	return pm_write_str(path, buf);
}

/* Read a whole small file, NUL-terminated: length or -errno. */
static inline int pm_read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = 0;
	close(fd);
	return n;
}

/* First number in a file (e.g. a sysfs knob), or -1 when unreadable. */
static inline long pm_read_long(const char *path)
{
	char buf[256];

	if (pm_read_str(path, buf, sizeof(buf)) <= 0)
		return -1;
	return strtol(buf, NULL, 0);
}

/*
 * Turn on event ("system/event") in the tracefs instance dir, with its
 * filter set first if filter is not NULL: 0 or -errno.
 */
static inline int pm_trace_enable(const char *dir, const char *event,
				  const char *filter)
{
	char knob[512];
	int err;

	if (filter) {
		snprintf(knob, sizeof(knob), "%s/events/%s/filter", dir, event);
		err = pm_write_str(knob, filter);
		if (err)
			return err;
	}
	snprintf(knob, sizeof(knob), "%s/events/%s/enable", dir, event);
	return pm_write_str(knob, "1");
}

/*
 * A private tracefs instance "name" with event on, as pm_trace_enable()
 * does: 0 with the instance's folder in dir, or -1 when tracefs or the
 * event is missing.
 */
static inline int pm_trace_open(char *dir, size_t len, const char *name,
				const char *event, const char *filter)
{
	static const char *const roots[] = { "/sys/kernel/tracing",
					     "/sys/kernel/debug/tracing" };
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(dir, len, "%s/instances/%s", roots[i], name);
		rmdir(dir);
		if (mkdir(dir, 0700))
			continue;
		if (!pm_trace_enable(dir, event, filter))
			return 0;
		rmdir(dir);
	}
	dir[0] = 0;
	return -1;
}

/* Lines of the instance's trace that contain what, or -1. */
static inline long pm_trace_count(const char *dir, const char *what)
{
	char path[512], line[1024];
	long n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/trace", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += !!strstr(line, what);
	fclose(f);
	return n;
}

/* Value of "key value" or "key: value" in a file (vmstat, meminfo). */
static inline long pm_file_field(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t kl = strlen(key);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, kl) || (line[kl] != ' ' && line[kl] != ':'
					       && line[kl] != '\t'))
			continue;
		v = strtol(line + kl + 1, NULL, 10);
		break;
	}
	fclose(f);
	return v;
}

/* Memory blocks, for the tests that offline them. */
#define PM_MEM_SYSFS	"/sys/devices/system/memory"
/* The most blocks a test looks at. */
#define PM_MEM_MAX_BLOCKS	64

/* Base pages per memory block, or -1 without memory hotplug sysfs. */
static inline long pm_mem_block_pages(void)
{
	char buf[32];

	if (pm_read_str(PM_MEM_SYSFS "/block_size_bytes", buf, sizeof(buf)) <= 0)
		return -1;
	return strtol(buf, NULL, 16) / getpagesize();
}

/* Is memory block nr in state ("online", "offline")? */
static inline bool pm_mem_block_is(long nr, const char *state)
{
	char path[96], buf[32];

	snprintf(path, sizeof(path), PM_MEM_SYSFS "/memory%ld/state", nr);
	if (pm_read_str(path, buf, sizeof(buf)) <= 0)
		return false;
	buf[strcspn(buf, "\n")] = 0;
	return !strcmp(buf, state);
}

/* Write state ("offline", "online_movable" ...) to block nr: 0 or -errno. */
static inline int pm_mem_block_set(long nr, const char *state)
{
	char path[96];

	snprintf(path, sizeof(path), PM_MEM_SYSFS "/memory%ld/state", nr);
	return pm_write_str(path, state);
}

/* The numbers of up to max memory blocks now in state: how many. */
static inline int pm_mem_blocks(long *nrs, int max, const char *state)
{
	DIR *d = opendir(PM_MEM_SYSFS);
	struct dirent *e;
	int n = 0;
	long nr;

	if (!d)
		return 0;
	while (n < max && (e = readdir(d)))
		if (sscanf(e->d_name, "memory%ld", &nr) == 1 &&
		    pm_mem_block_is(nr, state))
			nrs[n++] = nr;
	closedir(d);
	return n;
}

/* Is online block nr in ZONE_MOVABLE, where a hot-plugged DIMM goes? */
static inline bool pm_mem_block_movable(long nr)
{
	char path[96], buf[64];

	snprintf(path, sizeof(path), PM_MEM_SYSFS "/memory%ld/valid_zones", nr);
	if (pm_read_str(path, buf, sizeof(buf)) <= 0)
		return false;
	buf[strcspn(buf, "\n")] = 0;
	return !strcmp(buf, "Movable");
}

/*
 * The blocks of the guest's DIMM, up to max, into nrs: those offline now
 * and those online in ZONE_MOVABLE (left so by an earlier test).  The
 * offline ones are onlined movable.  Returns how many, or -errno when a
 * block would not online (its number in *failed).
 */
static inline int pm_dimm_blocks_online(long *nrs, int max, long *failed)
{
	long online[PM_MEM_MAX_BLOCKS];
	int i, n, nr, err;

	n = pm_mem_blocks(online, PM_MEM_MAX_BLOCKS, "online");
	nr = pm_mem_blocks(nrs, max, "offline");
	for (i = 0; i < nr; i++) {
		err = pm_mem_block_set(nrs[i], "online_movable");
		if (err) {
			*failed = nrs[i];
			return err;
		}
	}
	for (i = 0; i < n && nr < max; i++)
		if (pm_mem_block_movable(online[i]))
			nrs[nr++] = online[i];
	return nr;
}

/* A /proc/vmstat counter, or -1 when the kernel has no such counter. */
static inline long pm_vmstat(const char *name)
{
	return pm_file_field("/proc/vmstat", name);
}

/* A "Key:   N kB" line of /proc/self/status or /proc/meminfo. */
static inline long pm_status_kb(const char *key)
{
	return pm_file_field("/proc/self/status", key);
}

static inline long pm_meminfo_kb(const char *key)
{
	return pm_file_field("/proc/meminfo", key);
}

/*
 * The /proc/self/pagemap entry of addr, or 0 on error. The file stays
 * open, reopened in a forked child (/proc/self was the parent's).
 */
static inline uint64_t pm_pagemap(const void *addr)
{
	static int fd = -1;
	static pid_t owner;
	uint64_t ent = 0;

	if (fd < 0 || owner != getpid()) {
		if (fd >= 0)
			close(fd);
		fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
		owner = getpid();
		if (fd < 0)
			return 0;
	}
	if (pread(fd, &ent, sizeof(ent),
		  ((uintptr_t)addr / getpagesize()) * sizeof(ent)) != sizeof(ent))
		ent = 0;
	return ent;
}

#define PM_PAGEMAP_PRESENT	(1ULL << 63)
#define PM_PAGEMAP_SWAPPED	(1ULL << 62)
#define PM_PAGEMAP_PFN		((1ULL << 55) - 1)

/* The PFN mapped at addr (needs root), or 0 when none is. */
static inline unsigned long pm_pfn(const void *addr)
{
	uint64_t ent = pm_pagemap(addr);

	return (ent & PM_PAGEMAP_PRESENT) ? ent & PM_PAGEMAP_PFN : 0;
}

/* How many base pages of [buf, buf+len) sit in blocks[0..n). */
static inline long pm_pages_on_blocks(const long *blocks, int n,
				      long block_pages, const char *buf,
				      size_t len)
{
	size_t off, psz = getpagesize();
	unsigned long pfn;
	long count = 0;
	int i;

	for (off = 0; off < len; off += psz) {
		pfn = pm_pfn(buf + off);
		for (i = 0; pfn && i < n; i++)
			if (pfn / block_pages == (unsigned long)blocks[i])
				count++;
	}
	return count;
}

/*
 * /proc/kpageflags of the page mapped at addr (needs root): 0 and the
 * flags in *flags, or -errno (-ENOENT when nothing is mapped there).
 */
static inline int pm_kpageflags(const void *addr, uint64_t *flags)
{
	uint64_t ent = pm_pagemap(addr);
	int fd, ret = 0;

	if (!(ent & PM_PAGEMAP_PRESENT))
		return -ENOENT;
	fd = open("/proc/kpageflags", O_RDONLY);
	if (fd < 0)
		return -errno;
	if (pread(fd, flags, sizeof(*flags),
		  (ent & PM_PAGEMAP_PFN) * sizeof(*flags)) != sizeof(*flags))
		ret = -EIO;
	close(fd);
	return ret;
}

#define PM_KPF(bit)	(1ULL << (bit))

/*
 * pm_kpageflags() of a page that kcompactd or reclaim may be moving
 * right now: while nothing is mapped at addr, touch it (the fault waits
 * out a migration entry, or swaps the page back in) and look again.
 */
static inline int pm_kpageflags_touch(const void *addr, uint64_t *flags)
{
	int tries, ret = -ENOENT;

	for (tries = 0; tries < 100 && ret == -ENOENT; tries++) {
		ret = pm_kpageflags(addr, flags);
		if (ret == -ENOENT) {
			(void)*(const volatile char *)addr;
			usleep(1000);
		}
	}
	return ret;
}

/* First index whose status is not want, or -1. */
static inline long pm_first_status_not(const int *status, unsigned long n,
				       int want)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (status[i] != want)
			return (long)i;
	return -1;
}

/*
 * A checker: a child process that maps the same memory (inherited over
 * fork), reads it over and over while the parent moves it, and on
 * request verifies every byte and (node >= 0) that move_pages() sees
 * every page on that node from its side too.
 */
struct pm_checker {
	pid_t pid;
	int cmd, res;	/* parent's ends of the two pipes */
};

struct pm_check_result {
	long bad_off;	/* first differing byte, or -1 */
	long bad_page;	/* first page not on the node asked for, or -1 */
	int bad_status;	/* that page's status */
	unsigned long scans;	/* full read passes done in the background */
};

static inline int pm_checker_start(struct pm_checker *c, const char *buf,
				   size_t len, size_t psz, unsigned long seed)
{
	int cmd[2], res[2];

	if (pipe(cmd) || pipe(res))
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		struct pm_check_result r = { -1, -1, 0, 0 };
		unsigned long npages = len / psz, i;
		int *status = calloc(npages, sizeof(int));
		struct pollfd pfd = { .fd = cmd[0], .events = POLLIN };
		long bg_bad = -1;
		int node;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(cmd[1]);
		close(res[0]);
		for (;;) {
			if (poll(&pfd, 1, 0) == 1) {
				if (read(cmd[0], &node, sizeof(node)) != sizeof(node) ||
				    node == -2)
					_exit(0);
				r.bad_off = bg_bad >= 0 ? bg_bad :
					pm_first_bad(buf, len, seed);
				r.bad_page = -1;
				r.bad_status = 0;
				if (node >= 0 && status &&
				    pm_where((void *)buf, npages, psz, status) == 0) {
					for (i = 0; i < npages; i++)
						if (status[i] != node) {
							r.bad_page = i;
							r.bad_status = status[i];
							break;
						}
				}
				if (write(res[1], &r, sizeof(r)) != sizeof(r))
					_exit(1);
				continue;
			}
			if (bg_bad < 0)
				bg_bad = pm_first_bad(buf, len, seed);
			r.scans++;
		}
	}
	close(cmd[0]);
	close(res[1]);
	c->cmd = cmd[1];
	c->res = res[0];
	return 0;
}

/* Ask the checker to verify now; 0 and *r filled, or -1. */
static inline int pm_checker_ask(struct pm_checker *c, int node,
				 struct pm_check_result *r)
{
	if (write(c->cmd, &node, sizeof(node)) != sizeof(node))
		return -1;
	if (read(c->res, r, sizeof(*r)) != sizeof(*r))
		return -1;
	return 0;
}

static inline void pm_checker_stop(struct pm_checker *c)
{
	int node = -2;

	if (c->pid <= 0)
		return;
	if (write(c->cmd, &node, sizeof(node)) != sizeof(node))
		kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	close(c->cmd);
	close(c->res);
	c->pid = 0;
}

/* Every status[i] must be want: CHECK is ASSERT_EQ or EXPECT_EQ. */
#define PM_CHECK_STATUS(CHECK, status, n, want, what) do {		\
	long __i = pm_first_status_not((status), (n), (want));		\
	CHECK(-1, __i)							\
		TH_LOG("%s: page %ld has status %d, expected %d",	\
		       (what), __i, __i >= 0 ? (status)[__i] : 0, (want)); \
} while (0)
#define PM_ASSERT_STATUS(...)	PM_CHECK_STATUS(ASSERT_EQ, __VA_ARGS__)
#define PM_EXPECT_STATUS(...)	PM_CHECK_STATUS(EXPECT_EQ, __VA_ARGS__)

/* The node of the page at addr (move_pages() query), or its error. */
static inline int pm_node_of(const void *addr)
{
	int st = -1;

	if (pm_where((void *)addr, 1, 0, &st))
		return -9999;
	return st;
}

/* buf holds the pattern of seed: CHECK is ASSERT_EQ or EXPECT_EQ. */
#define PM_CHECK_CONTENT(CHECK, buf, len, seed, psz, what) do {	\
	long __b = pm_first_bad((buf), (len), (seed));			\
	CHECK(-1, __b)						\
		TH_LOG("%s: byte %ld (page %ld, on node %d) is 0x%02x, expected 0x%02x", \
		       (what), __b, __b / (long)(psz),			\
		       __b >= 0 ? pm_node_of((const char *)(buf) + __b) : -1, \
		       __b >= 0 ? ((const unsigned char *)(buf))[__b] : 0, \
		       __b >= 0 ? pm_byte((seed), __b) : 0);		\
} while (0)
#define PM_ASSERT_CONTENT(...)	PM_CHECK_CONTENT(ASSERT_EQ, __VA_ARGS__)
#define PM_EXPECT_CONTENT(...)	PM_CHECK_CONTENT(EXPECT_EQ, __VA_ARGS__)

/* call must fail with errno err (checked exactly). */
#define PM_EXPECT_ERRNO(err, call) do {					\
	long __r;							\
	errno = 0;							\
	__r = (call);							\
	EXPECT_EQ(-1, __r)						\
		TH_LOG("%s returned %ld, expected -1/%s", #call, __r,	\
		       strerror(err));					\
	EXPECT_EQ(err, errno)						\
		TH_LOG("%s: errno %d (%s), expected %d (%s)", #call,	\
		       errno, strerror(errno), err, strerror(err));	\
} while (0)

/* "Node N KEY: X kB" of node's meminfo, in kB; -1 if absent. */
static inline long pm_node_meminfo_kb(int node, const char *key)
{
	char path[96], line[256], *p;
	size_t klen = strlen(key);
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo",
		 node);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, key);
		if (p && p[klen] == ':') {
			kb = strtol(p + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

/* First page whose status is not want[i], or -1. */
static inline long pm_first_misplaced(const int *status, const int *want,
				      unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (status[i] != want[i])
			return (long)i;
	return -1;
}

/* The sysfs file @what (nr_hugepages...) of @node's 2 MiB pool. */
static inline char *pm_node_huge_path(char *path, size_t len, int node,
				      const char *what)
{
	snprintf(path, len,
		 "/sys/devices/system/node/node%d/hugepages/hugepages-2048kB/%s",
		 node, what);
	return path;
}

/* @what (nr_hugepages, free_hugepages...) of @node's 2 MiB pool, or -1. */
static inline long pm_node_huge(int node, const char *what)
{
	char path[160];

	return pm_read_long(pm_node_huge_path(path, sizeof(path), node, what));
}

/* CLOCK_MONOTONIC in seconds. */
static inline double pm_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* How long a race runs: $PM_RACE_SECONDS if set and positive, or @dflt. */
static inline double pm_race_seconds(double dflt)
{
	const char *env = getenv("PM_RACE_SECONDS");
	double secs = env ? atof(env) : 0;

	return secs > 0 ? secs : dflt;
}

/*
 * Kill a child that runs until killed and reap it: its wait status, or
 * -1.  Anything but death by SIGKILL means it stopped by itself.
 */
static inline int pm_kill_reap(pid_t pid)
{
	int wst;

	if (kill(pid, SIGKILL) || waitpid(pid, &wst, 0) != pid)
		return -1;
	return wst;
}

/* The pid of a child that has exited and been reaped, or -1. */
static inline pid_t pm_reaped_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, NULL, 0) != pid)
		return -1;
	return pid;
}

/* Fill status[] with a value no kernel answer has (0x7f7f7f7f). */
static inline int *pm_status_poison(int *status, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		status[i] = 0x7f7f7f7f;
	return status;
}

/*
 * A move_pages() call on n pages of pid from addr, stride apart, with
 * status[] poisoned first: a query (nodes == NULL) or a move of every
 * page to node.  It must return 0 and give want for every page.  CHECK
 * is ASSERT_EQ or EXPECT_EQ.
 */
#define PM_CHECK_CALL(CHECK, ret, status, n, want, what) do {		\
	long __r = (ret);						\
	CHECK(0, __r) TH_LOG("%s: move_pages() returned %ld", (what), __r); \
	PM_CHECK_STATUS(CHECK, (status), (n), (want), (what));		\
} while (0)
#define PM_CHECK_QUERY(CHECK, pid, addr, n, stride, status, want, what) \
	PM_CHECK_CALL(CHECK, pm_where_pid((pid), (addr), (n), (stride),	\
					  pm_status_poison((status), (n))), \
		      (status), (n), (want), (what))
#define PM_CHECK_MOVE(CHECK, pid, addr, n, stride, node, flags, status,	\
		      want, what)					\
	PM_CHECK_CALL(CHECK, pm_move_pid((pid), (addr), (n), (stride),	\
					 (node),			\
					 pm_status_poison((status), (n)), \
					 (flags)),			\
		      (status), (n), (want), (what))
#define PM_ASSERT_QUERY(...)	PM_CHECK_QUERY(ASSERT_EQ, __VA_ARGS__)
#define PM_ASSERT_MOVE(...)	PM_CHECK_MOVE(ASSERT_EQ, __VA_ARGS__)
#define PM_EXPECT_QUERY(...)	PM_CHECK_QUERY(EXPECT_EQ, __VA_ARGS__)
#define PM_EXPECT_MOVE(...)	PM_CHECK_MOVE(EXPECT_EQ, __VA_ARGS__)

/* Move n pages of ours (stride apart) to node; each must say node. */
#define PM_MOVE_OK(addr, n, stride, node, status, flags, what)		\
	PM_ASSERT_MOVE(0, addr, n, stride, node, flags, status, node, what)

/* Query n pages of ours (stride apart); each must be on node. */
#define PM_ASSERT_WHERE(addr, n, stride, node, status, what)		\
	PM_ASSERT_QUERY(0, addr, n, stride, status, node, what)

/*
 * Long-term pins (FOLL_PIN | FOLL_LONGTERM) from io_uring fixed buffers.
 * The constants are <linux/io_uring.h>'s, which does not build against
 * the tools uapi.
 */
#define PM_IORING_REGISTER_BUFFERS	0
#define PM_IORING_UNREGISTER_BUFFERS	1
#define PM_IO_URING_PARAMS_SIZE		120	/* struct io_uring_params */

/* A ring to pin pages with: its fd, or -1 with errno (no CONFIG_IO_URING). */
static inline int pm_ring_open(void)
{
	uint64_t p[PM_IO_URING_PARAMS_SIZE / 8] = { 0 };

	return syscall(__NR_io_uring_setup, 4, p);
}

/* Pin the pages of n buffers until pm_ring_unpin() or close: 0 or -1. */
static inline int pm_ring_pin(int ring, const struct iovec *iov, int n)
{
	return syscall(__NR_io_uring_register, ring,
		       PM_IORING_REGISTER_BUFFERS, iov, n);
}

static inline int pm_ring_unpin(int ring)
{
	return syscall(__NR_io_uring_register, ring,
		       PM_IORING_UNREGISTER_BUFFERS, NULL, 0);
}

#endif /* PM_TEST_H */
