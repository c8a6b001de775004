/* Unit tests for gitd/: pkt-lines, pack framing, command splitting, ssh keys,
 * repository paths. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "common/fs.h"
#include "gitd/internal.h"
#include "tests/unit/unit.h"

/* A reader over the given bytes (through a pipe). */
static void reader_of(struct pkt_reader *r, const char *data, size_t len)
{
	int p[2];

	if (pipe(p) < 0 || write(p[1], data, len) != (ssize_t)len)
		abort();
	close(p[1]);
	pkt_reader_init(r, p[0]);
}

TEST(pkt_read_parses_lines_flush_and_strips_one_newline)
{
	static struct pkt_reader r;
	const char in[] = "000ahello\n0000" "0009world" "0001";
	enum pkt_type t;
	char *line;
	size_t len;
	struct berr err;

	reader_of(&r, in, sizeof(in) - 1);
	CHECK(pkt_read(&r, &t, &line, &len, &err) == 0 && t == PKT_DATA);
	CHECK_STR(line, "hello");
	CHECK(len == 5);
	CHECK(pkt_read(&r, &t, &line, &len, &err) == 0 && t == PKT_FLUSH);
	CHECK(pkt_read(&r, &t, &line, &len, &err) == 0 && t == PKT_DATA);
	CHECK_STR(line, "world");
	CHECK(pkt_read(&r, &t, &line, &len, &err) == 0 && t == PKT_DELIM);
	CHECK(pkt_read(&r, &t, &line, &len, &err) == 0 && t == PKT_EOF);
	close(r.fd);
}

TEST(pkt_read_refuses_bad_lengths_and_truncation)
{
	static struct pkt_reader r;
	const char *bad[] = { "zzzz", "0003", "fff1xxxx", "0010abc", "00" };
	enum pkt_type t;
	char *line;
	size_t len;
	struct berr err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reader_of(&r, bad[i], strlen(bad[i]));
		CHECK(pkt_read(&r, &t, &line, &len, &err) < 0);
		close(r.fd);
	}
	CHECK(pkt_parse_len("fff0") == 65520);
	CHECK(pkt_parse_len("00g0") == -1);
}

TEST(pkt_band_splits_data_and_report_wraps_lines_in_band_one)
{
	int p[2];
	char buf[70000];
	ssize_t n;
	struct pkt_writer w = { .sideband = 1 };
	static char big[3000];

	CHECK(pipe(p) == 0);
	w.fd = p[1];
	memset(big, 'x', sizeof(big));
	CHECK(pkt_band(&w, 2, big, sizeof(big)) == 0);
	CHECK(pkt_report(&w, "ok refs/heads/main\n") == 0);
	close(p[1]);
	n = read(p[0], buf, sizeof(buf));
	close(p[0]);
	/* side-band packets are at most 1000 bytes: 4 + 1 + 995 */
	CHECK(n > 0 && !memcmp(buf, "03e8\2", 5));
	CHECK(memmem(buf, (size_t)n, "001c\1" "0017ok refs/heads/main\n", 28) != NULL);
}

/* A pack of one blob made by hand: header, object, trailer. */
static size_t make_pack(unsigned char *out, const char *content)
{
	unsigned char z[256];
	uLongf zlen = sizeof(z);
	size_t len = strlen(content), n = 0;

	memcpy(out, "PACK\0\0\0\2\0\0\0\1", 12);
	n = 12;
	out[n++] = (unsigned char)(0x30 | (len & 0x0f) | (len > 15 ? 0x80 : 0));
	if (len > 15)
		out[n++] = (unsigned char)(len >> 4);
	compress(z, &zlen, (const unsigned char *)content, len);
	memcpy(out + n, z, zlen);
	n += zlen;
	memset(out + n, 0xab, 20);  /* the scan does not check the checksum */
	return n + 20;
}

TEST(pack_scan_finds_the_end_of_a_pack_fed_byte_by_byte)
{
	unsigned char pack[512];
	size_t len = make_pack(pack, "hello, this is a blob of some length\n"), used, total = 0;
	struct pack_scan s;
	struct berr err;

	pack[len] = 'Z';  /* what follows the pack is not consumed */
	pack_scan_init(&s);
	for (size_t i = 0; i <= len && !s.done; i++) {
		CHECK(pack_scan_feed(&s, pack + i, 1, &used, &err) == 0);
		total += used;
	}
	CHECK(s.done);
	CHECK(total == len);
	pack_scan_free(&s);
	pack_scan_init(&s);
	CHECK(pack_scan_feed(&s, pack, len + 1, &used, &err) == 0);
	CHECK(s.done && used == len);
	pack_scan_free(&s);
}

TEST(pack_scan_refuses_what_is_not_a_pack)
{
	unsigned char pack[512];
	size_t used;
	struct pack_scan s;
	struct berr err;

	pack_scan_init(&s);
	CHECK(pack_scan_feed(&s, (const unsigned char *)"JUNKJUNKJUNKJUNK", 16, &used, &err) < 0);
	pack_scan_free(&s);
	make_pack(pack, "abc");
	pack[12] = 0x50;  /* type 5 does not exist */
	pack_scan_init(&s);
	CHECK(pack_scan_feed(&s, pack, 40, &used, &err) < 0);
	pack_scan_free(&s);
	make_pack(pack, "abc");
	pack[14] ^= 0xff;  /* the zlib header */
	pack_scan_init(&s);
	CHECK(pack_scan_feed(&s, pack, 40, &used, &err) < 0);
	CHECK(strstr(err.msg, "corrupt zlib") != NULL);
	pack_scan_free(&s);
}

static void split_is(int *failed, const char *line, int n, const char *const *want)
{
	struct strv v = { 0 };
	struct berr err;

	CHECK(gitd_shell_split(line, &v, &err) == 0);
	CHECK((int)v.n == n);
	for (int i = 0; i < n && i < (int)v.n; i++)
		CHECK_STR(v.v[i], want[i]);
	strv_free(&v);
}

TEST(shell_split_follows_quotes_and_leaves_metacharacters_as_data)
{
	struct strv v = { 0 };
	struct berr err;

	split_is(failed, "config:set app K=\"hello world\"", 3,
		 (const char *const[]){ "config:set", "app", "K=hello world" });
	split_is(failed, "apps:list; touch /tmp/x", 3,
		 (const char *const[]){ "apps:list;", "touch", "/tmp/x" });
	split_is(failed, "a 'b c'\"d\"\\ e $(id) `x` |", 5,
		 (const char *const[]){ "a", "b cd e", "$(id)", "`x`", "|" });
	split_is(failed, "k=\"a\\\"b\\$c\\n\"", 1, (const char *const[]){ "k=a\"b$c\\n" });
	split_is(failed, "git-receive-pack '/app.git'", 2,
		 (const char *const[]){ "git-receive-pack", "/app.git" });
	split_is(failed, "''  x", 2, (const char *const[]){ "", "x" });
	split_is(failed, "   ", 0, NULL);
	CHECK(gitd_shell_split("a 'b", &v, &err) < 0);
	strv_free(&v);
	CHECK(gitd_shell_split("a \"b", &v, &err) < 0);
	strv_free(&v);
	CHECK(gitd_shell_split("a \\", &v, &err) < 0);
	strv_free(&v);
}

TEST(ssh_key_parse_checks_type_and_blob_and_gives_openssh_fingerprint)
{
	/* ssh-keygen -t ed25519; fingerprint from ssh-keygen -l. */
	const char *k = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C7okWi0dh2l9GKJl me@host";
	struct gitd_ssh_key key;
	struct berr err;

	CHECK(gitd_ssh_key_parse(k, &key, &err) == 0);
	CHECK_STR(key.type, "ssh-ed25519");
	CHECK(key.fingerprint && str_has_prefix(key.fingerprint, "SHA256:") &&
	      strlen(key.fingerprint) == 7 + 43);
	gitd_ssh_key_free(&key);
	CHECK(gitd_ssh_key_parse("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C7okWi0dh2l9GKJl", &key, &err) < 0);
	CHECK(gitd_ssh_key_parse("ssh-ed25519", &key, &err) < 0);
	CHECK(gitd_ssh_key_parse("ssh-ed25519 !!!!", &key, &err) < 0);
	CHECK(gitd_ssh_key_parse("no-pty ssh-ed25519 AAAA", &key, &err) < 0);
	CHECK(gitd_ssh_key_parse("", &key, &err) < 0);
}

static int check_name(void *ctx, const char *app, struct berr *err)
{
	(void)ctx;
	if (strspn(app, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(app) || !app[0])
		return berr_fail(err, "bad name");
	return 0;
}

TEST(repo_arg_accepts_the_forms_git_sends_and_nothing_else)
{
	const struct gitd_hooks h = { .app_check = check_name };
	const char *good[] = { "app", "app.git", "/app", "~/app", "/app.git", "~/app.git" };
	const char *bad[] = { "", "/", "a/b", "../app", "/etc/passwd", "~/../app", "App", "app.git.git",
			      "~app", "//app", "app;id" };
	struct berr err;
	char *app;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK(gitd_repo_arg(&h, good[i], &app, &err) == 0);
		CHECK_STR(app, "app");
		free(app);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		app = NULL;
		CHECK(gitd_repo_arg(&h, bad[i], &app, &err) < 0);
		if (app)
			fprintf(stderr, "# accepted '%s'\n", bad[i]);
		free(app);
	}
}

TEST(authkeys_lines_read_back_and_refuse_duplicates)
{
	const char *k1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C7okWi0dh2l9GKJl a";
	struct gitd_authkeys ak = { 0 };
	struct berr err;

	CHECK(gitd_authkeys_add(&ak, "dev", false, k1, "exec '/usr/bin/berth'", &err) == 0);
	CHECK(ak.n == 1 && ak.v[0].name && !ak.v[0].admin);
	CHECK(ak.n == 1 && strstr(ak.v[0].line, "command=\"exec '/usr/bin/berth' ssh:serve 'dev'\",restrict,pty ssh-ed25519 ") == ak.v[0].line);
	CHECK(gitd_authkeys_add(&ak, "dev2", true, k1, "exec '/usr/bin/berth'", &err) < 0);
	CHECK(gitd_authkeys_add(&ak, "x", true, k1, "exec \"sh\"", &err) < 0);
	CHECK(gitd_authkeys_remove(&ak, "nope", &err) < 0);
	CHECK(gitd_authkeys_remove(&ak, "dev", &err) == 0 && ak.n == 0);
	gitd_authkeys_free(&ak);
}

/* A raw tree object from entries "MODE NAME" -> oid, in the given order. */
static void raw_tree(git_odb *odb, git_oid *out, const char *const *modes_names,
		     const git_oid *const *ids, size_t n)
{
	char buf[4096];
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(modes_names[i]);

		memcpy(buf + len, modes_names[i], l);
		buf[len + l] = '\0';
		len += l + 1;
		memcpy(buf + len, ids[i]->id, GIT_OID_RAWSZ);
		len += GIT_OID_RAWSZ;
	}
	if (git_odb_write(out, odb, buf, len, GIT_OBJECT_TREE) < 0)
		abort();
}

static void commit_of(git_repository *repo, const git_oid *tree_id, git_oid *commit)
{
	git_signature *sig = NULL;
	git_tree *tree = NULL;

	if (git_signature_new(&sig, "t", "t@example.com", 0, 0) < 0 ||
	    git_tree_lookup(&tree, repo, tree_id) < 0 ||
	    git_commit_create_v(commit, repo, NULL, sig, sig, NULL, "t", tree, 0) < 0)
		abort();
	git_tree_free(tree);
	git_signature_free(sig);
}

TEST(checkout_writes_files_modes_links_and_refuses_hostile_names)
{
	char base[] = "/tmp/berth-checkout-XXXXXX";
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	git_oid hello, target, sub, root, bad, c1, c2;
	struct berr err;
	struct stat st;
	char path[256], link[64];
	ssize_t n;

	gitd_libgit2_init();
	if (!mkdtemp(base))
		abort();
	snprintf(path, sizeof(path), "%s/repo.git", base);
	if (git_repository_init(&repo, path, 1) < 0 || git_repository_odb(&odb, repo) < 0)
		abort();
	if (git_odb_write(&hello, odb, "hello\n", 6, GIT_OBJECT_BLOB) < 0 ||
	    git_odb_write(&target, odb, "a.txt", 5, GIT_OBJECT_BLOB) < 0)
		abort();
	{
		const char *e[] = { "100644 b" };
		const git_oid *ids[] = { &hello };

		raw_tree(odb, &sub, e, ids, 1);
	}
	{
		const char *e[] = { "100644 a.txt", "120000 link", "100755 run.sh", "40000 sub" };
		const git_oid *ids[] = { &hello, &target, &hello, &sub };

		raw_tree(odb, &root, e, ids, 4);
	}
	commit_of(repo, &root, &c1);
	snprintf(path, sizeof(path), "%s/out", base);
	{
		struct tree_request req = { .dir = path, .uid = getuid(), .gid = getgid() };

		CHECK(gitd_checkout(repo, &c1, &req, &err) == 0 && !req.delta && !req.same);
		CHECK(req.label && str_has_prefix(req.label, "git tree "));
		free(req.label);
	}
	snprintf(path, sizeof(path), "%s/out/a.txt", base);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644 && st.st_size == 6);
	snprintf(path, sizeof(path), "%s/out/run.sh", base);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0755);
	snprintf(path, sizeof(path), "%s/out/sub/b", base);
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
	snprintf(path, sizeof(path), "%s/out/link", base);
	n = readlink(path, link, sizeof(link) - 1);
	CHECK(n == 5 && !memcmp(link, "a.txt", 5));

	/* ".." would write beside the checkout: refused, nothing written there. */
	{
		const char *e[] = { "40000 .." };
		const git_oid *ids[] = { &sub };

		raw_tree(odb, &bad, e, ids, 1);
	}
	commit_of(repo, &bad, &c2);
	snprintf(path, sizeof(path), "%s/deep/out2", base);
	snprintf(link, sizeof(link), "%s/deep", base);
	mkdir(link, 0700);
	{
		struct tree_request req = { .dir = path, .uid = getuid(), .gid = getgid() };

		CHECK(gitd_checkout(repo, &c2, &req, &err) < 0);
	}
	CHECK(strstr(err.msg, "'..'") != NULL);
	snprintf(path, sizeof(path), "%s/deep/b", base);
	CHECK(access(path, F_OK) < 0);

	git_odb_free(odb);
	git_repository_free(repo);
	{
		struct berr ignored;

		rm_rf(base, &ignored);
	}
}
