/* test_ports_domains.c - port map and domain parsing (platform/ports.c, domains.c). */
#include <stdlib.h>

#include "platform/platform.h"
#include "tests/unit/unit.h"

TEST(port_map_parse_takes_dokku_maps)
{
	struct port_map pm;
	struct berr err;
	char *s;

	CHECK(port_map_parse("http:80:5000", &pm, &err) == 0);
	CHECK_STR(pm.scheme, "http");
	CHECK(pm.host_port == 80 && pm.container_port == 5000);
	CHECK(port_map_parse("tcp:0022:22", &pm, &err) == 0);
	s = port_map_format(&pm);
	CHECK_STR(s, "tcp:22:22");
	free(s);
	CHECK(port_map_parse("udp:65535:1", &pm, &err) == 0);
}

TEST(port_map_parse_refuses_bad_maps)
{
	static const char *const bad[] = {
		"", "http", "http:80", "http:80:5000:1", "ftp:21:21", "http:0:5000", "http:80:0",
		"http:65536:5000", "http:-1:5000", "http:80:5000x", "http::5000", "HTTP:80:5000",
	};
	struct port_map pm;
	struct berr err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (port_map_parse(bad[i], &pm, &err) == 0) {
			fprintf(stderr, "# accepted: '%s'\n", bad[i]);
			*failed = 1;
		}
	}
	CHECK(port_map_parse("http:80", &pm, &err) < 0);
	CHECK_STR(err.msg, "Invalid port map http:80 [len=2]");
}

TEST(domain_check_is_dokkus_rule)
{
	static const char *const good[] = { "a.test", "_", "*.example.com", "a--b.test", "x", "1.2.3.4" };
	static const char *const bad[] = { "", "a_b.test", "a.test.", "A.test", "a b", "a/b", "-." };
	struct berr err;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(domain_check(good[i], &err) == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (domain_check(bad[i], &err) == 0) {
			fprintf(stderr, "# accepted: '%s'\n", bad[i]);
			*failed = 1;
		}
	}
	CHECK(domain_check("a_b", &err) < 0);
	CHECK_STR(err.msg, "a_b is invalid. exiting...");
}

TEST(routes_app_port_prefers_the_routers_port)
{
	struct app_settings s = { 0 };

	CHECK(routes_app_port(&s, 80) == 5000);  /* the detected http:80:5000 */
	strv_push(&s.ports, "http:8080:5001");
	strv_push(&s.ports, "http:80:5002");
	CHECK(routes_app_port(&s, 80) == 5002);
	CHECK(routes_app_port(&s, 9999) == 5001);  /* the first http map */
	strv_free(&s.ports);
	strv_push(&s.ports, "tcp:2222:22");
	CHECK(routes_app_port(&s, 80) == 0);       /* not routed */
	strv_free(&s.ports);
}
