/* Unit tests for net/: subnets, settings, address choice. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/fs.h"
#include "net/net.h"
#include "tests/unit/unit.h"

TEST(subnet_parses_and_rejects_host_bits_and_odd_prefixes)
{
	struct berr err;
	uint32_t net;
	unsigned prefix;

	CHECK(net_parse_subnet("10.88.0.0/16", &net, &prefix, &err) == 0);
	CHECK(net == 0x0a580000 && prefix == 16);
	CHECK(net_parse_subnet("10.88.0.1/16", &net, &prefix, &err) < 0);
	CHECK(strstr(err.msg, "did you mean 10.88.0.0") != NULL);
	CHECK(net_parse_subnet("10.88.0.0/31", &net, &prefix, &err) < 0);
	CHECK(net_parse_subnet("10.88.0.0/4", &net, &prefix, &err) < 0);
	CHECK(net_parse_subnet("10.88.0.0", &net, &prefix, &err) < 0);
	CHECK(net_parse_subnet("10.88.0.256/24", &net, &prefix, &err) < 0);
	CHECK(net_parse_subnet("10.88.0.0/2x", &net, &prefix, &err) < 0);
}

static struct net_config cfg24(void)
{
	struct net_config c = { .bridge = "t0", .prefix = 24, .mtu = 1500 };
	struct berr err;

	net_parse_subnet("10.1.2.0/24", &c.subnet, &c.prefix, &err);
	return c;
}

TEST(ipam_skips_network_gateway_and_broadcast)
{
	struct net_config c = cfg24();
	struct net_leases l = { 0 };
	uint32_t a;

	CHECK(net_ipam_pick(&c, &l, &a) == 0 && a == 0x0a010202);  /* .2: .1 is the gateway */
	l.next = 0x0a0102ff;  /* the broadcast address wraps to the first host */
	CHECK(net_ipam_pick(&c, &l, &a) == 0 && a == 0x0a010202);
	l.next = 0x0a0102fe;
	CHECK(net_ipam_pick(&c, &l, &a) == 0 && a == 0x0a0102fe);
}

TEST(ipam_starts_after_the_last_address_and_skips_leased_ones)
{
	struct net_config c = cfg24();
	struct net_lease v[] = { { 0x0a010205, 1, 1 }, { 0x0a010206, 1, 1 } };
	struct net_leases l = { v, 2, 0x0a010205 };
	uint32_t a;

	CHECK(net_ipam_pick(&c, &l, &a) == 0 && a == 0x0a010207);
}

TEST(ipam_reports_a_full_subnet)
{
	struct net_config c = { .bridge = "t0", .prefix = 30 };
	struct net_lease v[] = { { 0, 1, 1 } };
	struct net_leases l = { v, 1, 0 };
	struct berr err;
	uint32_t a;

	net_parse_subnet("10.1.2.4/30", &c.subnet, &c.prefix, &err);
	v[0].addr = c.subnet + 2;  /* a /30 has one address besides the gateway */
	CHECK(net_ipam_pick(&c, &l, &a) < 0);
}

TEST(settings_come_from_the_environment_before_the_config_file)
{
	char dir[] = "/tmp/berth-unit-net.XXXXXX";
	struct net_config c;
	struct berr err;
	const char *text = "# berth\nBERTH_BRIDGE=from-file\n  BERTH_SUBNET=\"10.9.0.0/16\"\n";
	char *conf;

	CHECK(mkdtemp(dir) != NULL);
	setenv("BERTH_ROOT", dir, 1);
	conf = xasprintf("%s/berth.conf", dir);
	CHECK(write_file_atomic(conf, text, strlen(text), 0644, &err) == 0);
	unsetenv("BERTH_BRIDGE");
	unsetenv("BERTH_SUBNET");
	setenv("BERTH_HTTP_ADDR", "127.0.0.1:8080", 1);
	CHECK(net_config_load(&c, &err) == 0);
	CHECK_STR(c.bridge, "from-file");
	CHECK_STR(c.table, "berth_from_file");
	CHECK(c.subnet == 0x0a090000 && c.prefix == 16);
	CHECK_STR(c.http_addr, "127.0.0.1:8080");
	setenv("BERTH_BRIDGE", "from-env", 1);
	CHECK(net_config_load(&c, &err) == 0);
	CHECK_STR(c.bridge, "from-env");
	setenv("BERTH_BRIDGE", "much-too-long-name", 1);
	CHECK(net_config_load(&c, &err) < 0);
	CHECK(strstr(err.msg, "BERTH_BRIDGE") != NULL);
	unsetenv("BERTH_BRIDGE");
	unsetenv("BERTH_HTTP_ADDR");
	unlink(conf);
	rmdir(dir);
	free(conf);
}

/* The router's table (net/router_table.c). */
#include "net/router.h"

static char *table_file(const char *json)
{
	char *path = xasprintf("/tmp/berth-unit-table.%d.json", (int)getpid());
	struct berr err;

	if (write_file_atomic(path, json, strlen(json), 0644, &err) < 0) {
		free(path);
		return NULL;
	}
	return path;
}

TEST(router_table_maps_hosts_to_apps_ignoring_case_port_and_trailing_dot)
{
	char *path = table_file("{\"version\": \"7\", \"domain\": \"apps.test\", \"apps\": {"
		"\"web\": {\"domains\": [\"WWW.Example.com\"], \"backends\": [\"10.1.2.3:5000\", \"10.1.2.4:5001\"]},"
		"\"boot\": {\"starting\": true}}}");
	struct rt_table *t = NULL;
	struct rt_app *a;
	struct berr err;

	CHECK(path && rt_table_load(path, 80, &t, &err) == 0);
	if (!t)
		return;
	CHECK_STR(t->version, "7");
	a = rt_table_find(t, 80, "web.apps.test", 13);
	CHECK(a && !strcmp(a->name, "web") && a->nbackends == 2);
	CHECK(a && ntohs(a->backends[1].sin_port) == 5001);
	CHECK(rt_table_find(t, 80, "www.example.com:8080", 20) == a);
	CHECK(rt_table_find(t, 80, "WWW.EXAMPLE.COM.", 16) == a);
	CHECK(rt_table_find(t, 80, "example.com", 11) == NULL);
	CHECK(rt_table_find(t, 80, "web.apps.test.evil", 18) == NULL);
	a = rt_table_find(t, 80, "boot.apps.test", 14);
	CHECK(a && a->starting && a->nbackends == 0);
	rt_table_free(t);
	unlink(path);
	free(path);
}

TEST(router_table_routes_per_port_and_apps_without_vhosts)
{
	char *path = table_file("{\"version\": \"8\", \"apps\": {"
		"\"web\": {\"domains\": [\"web.test\"], \"backends\": [\"10.1.2.3:5000\"], \"ports\": {\"8081\": 6000}},"
		"\"side\": {\"domains\": [\"side.test\"], \"backends\": [\"10.1.2.4:5000\"], \"main\": false,"
		"          \"ports\": {\"8082\": 7000, \"20000\": 5001}},"
		"\"quiet\": {\"domains\": [\"quiet.test\"], \"vhost\": false, \"backends\": [\"10.1.2.5:5000\"],"
		"           \"ports\": {\"8081\": 9000}}}}");
	struct rt_table *t = NULL;
	struct rt_app *a;
	struct berr err;

	CHECK(path && rt_table_load(path, 20000, &t, &err) == 0);
	if (!t)
		return;
	/* Every host port besides the main one (20000 is the main port: no extra). */
	CHECK(t->nlisten == 2 && t->listen[0] == 8081 && t->listen[1] == 8082);
	a = rt_table_find(t, 20000, "web.test", 8);
	CHECK(a && !strcmp(a->name, "web"));
	CHECK(a && rt_app_port(a, 8081) == 6000 && rt_app_port(a, 8082) == 0);
	CHECK(rt_table_find(t, 8081, "web.test", 8) == a);
	CHECK(rt_table_find(t, 8082, "web.test", 8) == NULL);
	/* main false: not on the main port, by Host on its own. */
	CHECK(rt_table_find(t, 20000, "side.test", 9) == NULL);
	a = rt_table_find(t, 8082, "side.test", 9);
	CHECK(a && !strcmp(a->name, "side"));
	/* vhost false: no name reaches it, it answers the rest on its port. */
	CHECK(rt_table_find(t, 20000, "quiet.test", 10) == NULL);
	a = rt_table_find(t, 8081, "anything.example", 16);
	CHECK(a && !strcmp(a->name, "quiet") && rt_app_port(a, 8081) == 9000);
	a = rt_table_find(t, 8081, "web.test", 8);
	CHECK(a && !strcmp(a->name, "web"));  /* a name on the port wins */
	CHECK(rt_table_find(t, 8082, "anything.example", 16) == NULL);
	rt_table_free(t);
	unlink(path);
	free(path);
}

TEST(router_table_refuses_bad_backends_and_shapes)
{
	const char *bad[] = {
		"{\"apps\": {\"web\": {\"backends\": [\"10.1.2.3\"]}}}",
		"{\"apps\": {\"web\": {\"backends\": [\"10.1.2.3:0\"]}}}",
		"{\"apps\": {\"web\": {\"backends\": [\"host:80\"]}}}",
		"{\"apps\": {\"web\": {\"backends\": \"10.1.2.3:80\"}}}",
		"{\"apps\": {\"web\": {\"domains\": [1]}}}",
		"{\"apps\": []}",
		"{\"apps\": {\"web\": {\"ports\": [8081]}}}",
		"{\"apps\": {\"web\": {\"ports\": {\"http\": 5000}}}}",
		"{\"apps\": {\"web\": {\"ports\": {\"8081\": 0}}}}",
		"not json",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *path = table_file(bad[i]);
		struct rt_table *t = NULL;
		struct berr err;

		CHECK(path && rt_table_load(path, 80, &t, &err) < 0);
		CHECK(t == NULL);
		if (path) {
			unlink(path);
			free(path);
		}
	}
}
