/* ipam.c - address leases for one bridge, in $BERTH_ROOT/net/<bridge>/leases.json.
 *
 * Every change happens under an exclusive flock on leases.lock and is written
 * atomically, so concurrent starts never share an address. A lease names its
 * owner by pid and the pid's start time (a reused pid is another process); leases
 * whose owner is gone are dropped at the next change. The search for a free
 * address starts after the last one given, so a freed address waits a full cycle
 * of the subnet before it is handed out again (ARP caches and connections
 * elsewhere forget it meanwhile). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "common/paths.h"
#include "net/internal.h"

char *net_state_dir(const struct net_config *cfg)
{
	return xasprintf("%s/net/%s", berth_root(), cfg->bridge);
}

int net_ipam_pick(const struct net_config *cfg, const struct net_leases *leases, uint32_t *addr)
{
	uint32_t size = 1u << (32 - cfg->prefix);
	uint32_t first = cfg->subnet + 2, last = cfg->subnet + size - 2;  /* .1 is the gateway */
	uint32_t n = last - first + 1;
	uint32_t start = leases->next;

	if (start < first || start > last)
		start = first;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = first + (start - first + i) % n;
		bool taken = false;

		for (size_t j = 0; j < leases->n && !taken; j++)
			taken = leases->v[j].addr == a;
		if (!taken) {
			*addr = a;
			return 0;
		}
	}
	return -1;
}

void net_leases_free(struct net_leases *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* starttime of a process (field 22 of /proc/PID/stat), 0 when it does not exist. */
unsigned long long net_pid_start(pid_t pid)
{
	char path[64];
	autofree char *stat = NULL;
	size_t len;
	struct berr err;
	const char *p;
	unsigned long long start = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_file(path, &stat, &len, &err) < 0)
		return 0;
	p = strrchr(stat, ')');  /* the command name may hold spaces and parentheses */
	if (!p)
		return 0;
	/* After ") ": field 3 (state) onwards; starttime is field 22. */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
		   "%*d %*d %llu", &start) != 1)
		return 0;
	return start;
}

static bool lease_alive(const struct net_lease *l)
{
	return l->owner > 0 && net_pid_start(l->owner) == l->owner_start;
}

static int leases_load(const char *path, const struct net_config *cfg, struct net_leases *out,
		       struct berr *err)
{
	json_t *root = NULL, *arr, *item;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (json_file_load(path, &root, err) < 0)
		return -1;
	if (!root)
		return 0;
	out->next = (uint32_t)json_get_int(root, "next", 0);
	arr = json_object_get(root, "leases");
	out->v = xcalloc(json_array_size(arr) + 1, sizeof(*out->v));
	json_array_foreach(arr, i, item) {
		struct net_lease *l = &out->v[out->n];
		const char *a = json_get_str(item, "addr");
		struct in_addr in;
		uint32_t net;

		if (!a || inet_pton(AF_INET, a, &in) != 1)
			continue;  /* not ours to interpret; dropping it only frees an address */
		net = ntohl(in.s_addr);
		if ((net & (~0u << (32 - cfg->prefix))) != cfg->subnet)
			continue;  /* from an earlier BERTH_SUBNET */
		l->addr = net;
		l->owner = (pid_t)json_get_int(item, "owner", 0);
		l->owner_start = (unsigned long long)json_get_int(item, "owner_start", 0);
		out->n++;
	}
	json_decref(root);
	return 0;
}

static int leases_save(const char *path, const struct net_leases *l, struct berr *err)
{
	json_t *root = json_object(), *arr = json_array();
	char buf[16];
	int r;

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:I}", "addr",
			net_ntoa(l->v[i].addr, buf), "owner", (json_int_t)l->v[i].owner,
			"owner_start", (json_int_t)l->v[i].owner_start));
	json_object_set_new(root, "next", json_integer(l->next));
	json_object_set_new(root, "leases", arr);
	r = json_file_save(path, root, err);
	json_decref(root);
	return r;
}

/* Lock the lease file of cfg's bridge; returns the lock descriptor. */
static int leases_lock(const struct net_config *cfg, char **path, struct berr *err)
{
	autofree char *dir = net_state_dir(cfg);
	autofree char *lock = xasprintf("%s/leases.lock", dir);
	int fd;

	if (mkdir_p(dir, 0700, err) < 0)
		return -1;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return berr_sys(err, "open %s", lock);
	if (flock(fd, LOCK_EX) < 0) {
		berr_sys(err, "lock %s", lock);
		close(fd);
		return -1;
	}
	*path = xasprintf("%s/leases.json", dir);
	return fd;
}

static void leases_reclaim(struct net_leases *l)
{
	size_t k = 0;

	for (size_t i = 0; i < l->n; i++)
		if (lease_alive(&l->v[i]))
			l->v[k++] = l->v[i];
	l->n = k;
}

int net_ipam_take(const struct net_config *cfg, pid_t owner, uint32_t *addr, struct berr *err)
{
	autofree char *path = NULL;
	autoclose int lock = leases_lock(cfg, &path, err);
	struct net_leases l;
	char buf[16];
	int r;

	if (lock < 0)
		return -1;
	if (leases_load(path, cfg, &l, err) < 0)
		return -1;
	leases_reclaim(&l);
	if (net_ipam_pick(cfg, &l, addr) < 0) {
		net_leases_free(&l);
		return berr_fail(err, "no free address left in %s/%u on %s",
				 net_ntoa(cfg->subnet, buf), cfg->prefix, cfg->bridge);
	}
	l.v = xrealloc(l.v, (l.n + 1) * sizeof(*l.v));
	l.v[l.n++] = (struct net_lease){ *addr, owner, net_pid_start(owner) };
	l.next = *addr + 1;
	r = leases_save(path, &l, err);
	net_leases_free(&l);
	return r;
}

int net_ipam_release(const struct net_config *cfg, uint32_t addr, struct berr *err)
{
	autofree char *path = NULL;
	autoclose int lock = leases_lock(cfg, &path, err);
	struct net_leases l;
	size_t k = 0;
	int r;

	if (lock < 0)
		return -1;
	if (leases_load(path, cfg, &l, err) < 0)
		return -1;
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].addr != addr)
			l.v[k++] = l.v[i];
	l.n = k;
	leases_reclaim(&l);
	r = leases_save(path, &l, err);
	net_leases_free(&l);
	return r;
}

int net_ipam_reown(const struct net_config *cfg, uint32_t addr, pid_t owner, struct berr *err)
{
	autofree char *path = NULL;
	autoclose int lock = leases_lock(cfg, &path, err);
	struct net_leases l;
	int r;

	if (lock < 0)
		return -1;
	if (leases_load(path, cfg, &l, err) < 0)
		return -1;
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].addr == addr) {
			l.v[i].owner = owner;
			l.v[i].owner_start = net_pid_start(owner);
		}
	r = leases_save(path, &l, err);
	net_leases_free(&l);
	return r;
}

int net_ipam_list(const struct net_config *cfg, struct net_leases *out, struct berr *err)
{
	autofree char *dir = net_state_dir(cfg);
	autofree char *path = NULL;
	autoclose int lock = -1;

	memset(out, 0, sizeof(*out));
	if (path_exists(dir) <= 0)
		return 0;  /* no lease was ever taken here: a report creates nothing */
	lock = leases_lock(cfg, &path, err);
	if (lock < 0)
		return -1;
	if (leases_load(path, cfg, out, err) < 0)
		return -1;
	leases_reclaim(out);
	return 0;
}
