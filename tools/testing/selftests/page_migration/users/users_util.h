/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the users/ selftests (move_pages(2), migrate_pages(2),
 * mbind(2), cpusets, ...): a target process that holds a patterned
 * buffer and answers questions about it, running code under another
 * uid, and small file helpers. Builds on ../pm_test.h.
 */
#ifndef PM_USERS_UTIL_H
#define PM_USERS_UTIL_H

#define _GNU_SOURCE
#include <grp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "../pm_test.h"

#define PM_NOBODY	65534
#define PM_OTHER_UID	65533

static inline char *pm_map(size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The CPUs of node into set; number of CPUs. */
static inline int pm_node_cpus(int node, cpu_set_t *set)
{
	struct bitmask *bm = numa_allocate_cpumask();
	int cpu, n = 0;

	CPU_ZERO(set);
	if (numa_node_to_cpus(node, bm) == 0)
		for (cpu = 0; cpu < (int)bm->size && cpu < CPU_SETSIZE; cpu++)
			if (numa_bitmask_isbitset(bm, cpu)) {
				CPU_SET(cpu, set);
				n++;
			}
	numa_free_cpumask(bm);
	return n;
}

/*
 * Private anon memory between two PROT_NONE guard pages, so that its vma
 * never merges with a neighbour (numa_maps lines start at its address).
 */
static inline char *pm_map_isolated(size_t len)
{
	size_t psz = getpagesize();
	char *p = mmap(NULL, len + 2 * psz, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + psz, len, PROT_READ | PROT_WRITE))
		return NULL;
	return p + psz;
}

/* Take on uid/gid (real, effective, saved) and drop supplementary groups. */
static inline int pm_become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		return -errno;
	return 0;
}

/*
 * A target: a child process that maps len bytes of private anon memory,
 * fills it with the pattern of seed, moves it to node (when >= 0), and
 * then answers commands: 'v' verify contents (reply: first bad offset or
 * -1), 'q' quit. It runs as uid (when not 0) and is dumpable or not.
 */
struct pm_target {
	pid_t pid;
	int cmd, res;
	char *addr;
};

static inline int pm_target_start(struct pm_target *t, size_t len,
				  unsigned long seed, int node, uid_t uid,
				  int dumpable)
{
	int cmd[2], res[2];

	t->pid = 0;
	if (pipe(cmd) || pipe(res))
		return -errno;
	t->pid = fork();
	if (t->pid < 0)
		return -errno;
	if (t->pid == 0) {
		size_t psz = getpagesize();
		long reply;
		char *buf;
		char c;

		close(cmd[1]);
		close(res[0]);
		if (uid && pm_become(uid))
			_exit(1);
		/* A uid change leaves the mm non-dumpable (suid_dumpable=0). */
		prctl(PR_SET_DUMPABLE, dumpable ? 1 : 0);
		buf = pm_map_isolated(len);
		if (!buf)
			_exit(1);
		pm_fill(buf, len, seed);
		if (node >= 0) {
			int *st = calloc(len / psz, sizeof(int));

			if (!st || pm_move(buf, len / psz, psz, node, st,
					   MPOL_MF_MOVE) != 0)
				buf = NULL;
			free(st);
		}
		if (write(res[1], &buf, sizeof(buf)) != sizeof(buf))
			_exit(1);
		while (read(cmd[0], &c, 1) == 1) {
			if (c == 'q')
				break;
			reply = pm_first_bad(buf, len, seed);
			if (write(res[1], &reply, sizeof(reply)) != sizeof(reply))
				break;
		}
		_exit(0);
	}
	close(cmd[0]);
	close(res[1]);
	t->cmd = cmd[1];
	t->res = res[0];
	if (read(t->res, &t->addr, sizeof(t->addr)) != sizeof(t->addr) ||
	    !t->addr)
		return -EIO;
	return 0;
}

/* First differing byte in the target's buffer, -1 if none, -2 on error. */
static inline long pm_target_verify(struct pm_target *t)
{
	long r;

	if (write(t->cmd, "v", 1) != 1 ||
	    read(t->res, &r, sizeof(r)) != sizeof(r))
		return -2;
	return r;
}

static inline void pm_target_stop(struct pm_target *t)
{
	if (t->pid <= 0)
		return;
	if (write(t->cmd, "q", 1) != 1)
		kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
	close(t->cmd);
	close(t->res);
	t->pid = 0;
}

/*
 * Results a child hands back through shared memory: a return value,
 * an errno and a few statuses.
 */
struct pm_shared_res {
	long ret;
	int err;
	int status[64];
};

static inline struct pm_shared_res *pm_shared_res(void)
{
	struct pm_shared_res *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (r == MAP_FAILED)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->ret = -12345;
	return r;
}

/* Run fn(arg, r) in a child as uid (0: stay root); wait for it. */
static inline int pm_run_as(uid_t uid, void (*fn)(void *, struct pm_shared_res *),
			    void *arg, struct pm_shared_res *r)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (uid && pm_become(uid))
			_exit(3);
		fn(arg, r);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The [vdso]-like line of /proc/self/maps: start address or NULL. */
static inline char *pm_special_map(const char *name)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long start = 0;

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, name)) {
			start = strtoul(line, NULL, 16);
			break;
		}
	fclose(f);
	return (char *)start;
}

/* Pages of [addr, addr+len) on node, counted from /proc/PID/numa_maps. */
static inline long pm_numa_maps_count(pid_t pid, void *addr, int node)
{
	char path[64], line[4096], key[16];
	unsigned long start;
	long v = -1;
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/numa_maps", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	snprintf(key, sizeof(key), " N%d=", node);
	while (fgets(line, sizeof(line), f)) {
		start = strtoul(line, NULL, 16);
		if (start != (unsigned long)addr)
			continue;
		p = strstr(line, key);
		v = p ? strtol(p + strlen(key), NULL, 10) : 0;
		break;
	}
	fclose(f);
	return v;
}

/* nodes[0..nr) as a one-word node mask, or 0 when a node does not fit. */
static inline unsigned long pm_node_mask(const int *nodes, int nr)
{
	unsigned long mask = 0;
	int k;

	for (k = 0; k < nr; k++) {
		if (nodes[k] >= (int)(8 * sizeof(mask)))
			return 0;
		mask |= 1UL << nodes[k];
	}
	return mask;
}

/* The index of node in set[0..n), or -1. */
static inline int pm_node_index(int node, const int *set, int n)
{
	int k;

	for (k = 0; k < n; k++)
		if (set[k] == node)
			return k;
	return -1;
}

/*
 * Where 6.1 do_migrate_pages() (migrate_pages(2), cpusets) sends a page
 * on node: node_remap() maps the k-th node of from to the (k % weight)-th
 * node of to; when the sets differ in weight, the nodes of to stay.
 */
static inline int pm_remapped(int node, const int *from, int nfrom,
			      const int *to, int nto)
{
	int k = pm_node_index(node, from, nfrom);

	if (k < 0 || (nfrom != nto && pm_node_index(node, to, nto) >= 0))
		return node;
	return to[k % nto];
}

/*
 * The cpuset controller's line of /proc/cgroups: the id of the hierarchy
 * that holds it (0: cgroup v2) and its number of cgroups. 0, or -1.
 */
static inline int pm_cpuset_hierarchy(int *hier, int *ncgroups)
{
	char name[32];
	int enabled, ret = -1;
	FILE *f = fopen("/proc/cgroups", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%*[^\n]\n") < 0) {	/* the header */
		fclose(f);
		return -1;
	}
	while (fscanf(f, "%31s %d %d %d", name, hier, ncgroups, &enabled) == 4)
		if (!strcmp(name, "cpuset")) {
			ret = 0;
			break;
		}
	fclose(f);
	return ret;
}

/* Wait (up to 5 s) for a v1 hierarchy going away to free cpuset: 0, or -1. */
static inline int pm_cpuset_wait_v2(void)
{
	int hier, ncg, tries;

	for (tries = 0; tries < 100; tries++) {
		if (!pm_cpuset_hierarchy(&hier, &ncg) && !hier)
			return 0;
		usleep(50000);
	}
	return -1;
}

/*
 * Unmount a cgroup v1 cpuset hierarchy whose child cgroups were removed,
 * and give the controller back to cgroup v2. A v1 hierarchy is destroyed
 * at umount only if no child cgroup is left; a removed one lingers until
 * its last reference goes, so wait for that first. Else the hierarchy
 * stays, unmounted, and keeps cpuset from v2 for good. 0, or -1.
 */
static inline int pm_cpuset_v1_umount(const char *mnt)
{
	int hier, ncg, tries;

	for (tries = 0; tries < 100; tries++) {
		if (pm_cpuset_hierarchy(&hier, &ncg) || !hier || ncg <= 1)
			break;
		usleep(50000);
	}
	if (umount(mnt))
		return -1;
	return pm_cpuset_wait_v2();
}

/* How many of want[0..n) are node. */
static inline long pm_count_node(const int *want, unsigned long n, int node)
{
	unsigned long i;
	long c = 0;

	for (i = 0; i < n; i++)
		c += want[i] == node;
	return c;
}

/*
 * Assert that page i of [addr, addr + n * psz) in process pid (0: this
 * one) is on node want[i], as a move_pages() query and the counts in
 * /proc/PID/numa_maps for each of nodes[0..nr) see it (addr must start
 * its vma).
 */
#define PM_ASSERT_PLACED(pid, addr, n, psz, want, nodes, nr, what) do {	\
	const int *__want = (want), *__nodes = (nodes);			\
	const char *__what = (what);					\
	unsigned long __n = (n);					\
	void *__addr = (addr);						\
	pid_t __pid = (pid);						\
	int *__st = calloc(__n, sizeof(int));				\
	long __i, __c;							\
	int __k;							\
									\
	if (!__pid)							\
		__pid = getpid();					\
	ASSERT_NE(NULL, __st);						\
	ASSERT_EQ(0, pm_where_pid(__pid, __addr, __n, (psz), __st));	\
	__i = pm_first_misplaced(__st, __want, __n);			\
	ASSERT_EQ(-1, __i)						\
		TH_LOG("%s: page %ld on %d, expected node %d", __what,	\
		       __i, __i >= 0 ? __st[__i] : 0,			\
		       __i >= 0 ? __want[__i] : 0);			\
	for (__k = 0; __k < (nr); __k++) {				\
		__c = pm_numa_maps_count(__pid, __addr, __nodes[__k]);	\
		ASSERT_EQ(pm_count_node(__want, __n, __nodes[__k]), __c) \
			TH_LOG("%s: numa_maps of %d at %p: N%d=%ld",	\
			       __what, __pid, __addr, __nodes[__k], __c); \
	}								\
	free(__st);							\
} while (0)

#endif /* PM_USERS_UTIL_H */
