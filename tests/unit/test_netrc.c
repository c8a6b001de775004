/* test_netrc.c - gitd's .netrc reader and writer (git:auth). */
#include <stdlib.h>
#include <string.h>

#include "gitd/gitd.h"
#include "unit.h"

TEST(netrc_reads_entries_default_quotes_and_macdefs)
{
	struct gitd_netrc nr;
	struct berr err;
	const struct gitd_netrc_entry *e;
	const char *text = "machine a.example login al password \"p w\\\"x\"\n"
			   "macdef init\ncd /pub\n\n"
			   "machine B.example\n  login bo\n  password bp account acc\n"
			   "default login anon password guest\n";

	CHECK(gitd_netrc_parse(text, &nr, &err) == 0);
	CHECK(nr.n == 3);
	e = gitd_netrc_find(&nr, "a.example");
	CHECK(e && !strcmp(e->login, "al") && !strcmp(e->password, "p w\"x"));
	CHECK(e && e->macdefs && strstr(e->macdefs, "cd /pub"));
	e = gitd_netrc_find(&nr, "b.EXAMPLE");
	CHECK(e && !strcmp(e->password, "bp") && !strcmp(e->account, "acc"));
	e = gitd_netrc_find(&nr, "c.example");
	CHECK(e && !e->machine && !strcmp(e->login, "anon"));
	gitd_netrc_free(&nr);

	CHECK(gitd_netrc_parse("machine\n", &nr, &err) < 0);
	CHECK(strstr(err.msg, "without a name") != NULL);
	CHECK(gitd_netrc_parse("login x\n", &nr, &err) < 0);
	CHECK(gitd_netrc_parse("machine m password\n", &nr, &err) < 0);
}

TEST(netrc_put_replaces_removes_and_keeps_default_last)
{
	struct gitd_netrc nr;
	struct berr err;

	CHECK(gitd_netrc_parse("machine a login 1 password 1\ndefault login d password d\n"
			       "machine a login 2 password 2\n", &nr, &err) == 0);
	/* Both entries of a go: the first is replaced, the second removed. */
	CHECK(gitd_netrc_put(&nr, "A", "n", "p"));
	CHECK(nr.n == 2 && !strcmp(nr.v[0].login, "n") && !nr.v[1].machine);
	CHECK(gitd_netrc_put(&nr, "new", "x", "y"));
	CHECK(nr.n == 3 && !strcmp(nr.v[1].machine, "new") && !nr.v[2].machine);
	CHECK(gitd_netrc_put(&nr, "a", NULL, NULL));
	CHECK(!gitd_netrc_put(&nr, "a", NULL, NULL));
	CHECK(nr.n == 2 && !strcmp(nr.v[0].machine, "new"));
	gitd_netrc_free(&nr);
}

TEST(netrc_save_then_load_is_the_same)
{
	struct gitd_netrc nr, back;
	struct berr err;
	char dir[] = "/tmp/berth-netrc.XXXXXX";
	char path[64];
	char *text = NULL;
	size_t len;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/.netrc", dir);
	CHECK(gitd_netrc_parse("machine m login \"a b\" password c\nmacdef x\necho\n\n", &nr, &err) == 0);
	CHECK(gitd_netrc_put(&nr, "h", "u", "p"));
	CHECK(gitd_netrc_save(path, &nr, &err) == 0);
	CHECK(read_file(path, &text, &len, &err) == 0);
	CHECK_STR(text, "machine m\n  login \"a b\"\n  password c\nmacdef x\necho\n\n"
			"machine h\n  login u\n  password p\n");
	CHECK(gitd_netrc_load(path, &back, &err) == 0);
	CHECK(back.n == 2 && !strcmp(back.v[0].login, "a b") && !strcmp(back.v[1].password, "p"));
	CHECK(back.n == 2 && back.v[0].macdefs && !strcmp(back.v[0].macdefs, nr.v[0].macdefs));
	gitd_netrc_free(&nr);
	gitd_netrc_free(&back);
	free(text);
	rm_rf(dir, &err);
}

TEST(netrc_values_git_auth_refuses)
{
	struct berr err;

	CHECK(gitd_netrc_value_check("password", "ghp_abc-123.x", &err) == 0);
	CHECK(gitd_netrc_value_check("password", "a b", &err) < 0);
	CHECK(gitd_netrc_value_check("password", "a\"", &err) < 0);
	CHECK(gitd_netrc_value_check("password", "a\\", &err) < 0);
	CHECK(gitd_netrc_value_check("password", "a\x01", &err) < 0);
	CHECK(gitd_netrc_value_check("username", "", &err) < 0);
}
