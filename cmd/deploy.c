/* deploy.c - git:from-archive, ps:rebuild and run. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/download.h"
#include "common/sha256.h"
#include "common/ui.h"
#include "platform/platform.h"

/* Copy the archive (stdin, a file or a URL) into an anonymous temp file, hashing
 * it on the way: the digest is the deploy's SOURCE_VERSION. */
static int spool_archive(const char *where, int *out, char digest[SHA256_HEX_LEN + 1],
			 struct berr *err)
{
	autoclose int tmp = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	autoclose int in = -1;
	struct sha256 h;
	char buf[65536];
	ssize_t n;

	if (tmp < 0)
		return berr_sys(err, "temporary file for the archive");
	if (str_has_prefix(where, "http://") || str_has_prefix(where, "https://")) {
		if (download_to_fd(where, tmp, err) < 0)
			return -1;
		in = dup(tmp);
		if (in < 0 || lseek(in, 0, SEEK_SET) < 0)
			return berr_sys(err, "rewind the download");
		/* Hash what was downloaded. */
		sha256_init(&h);
		while ((n = read(in, buf, sizeof(buf))) > 0)
			sha256_update(&h, buf, (size_t)n);
		sha256_final_hex(&h, digest);
	} else {
		in = strcmp(where, "-") ? open(where, O_RDONLY | O_CLOEXEC) : dup(STDIN_FILENO);
		if (in < 0)
			return berr_sys(err, "open %s", where);
		sha256_init(&h);
		while ((n = read(in, buf, sizeof(buf))) > 0) {
			sha256_update(&h, buf, (size_t)n);
			if (write(tmp, buf, (size_t)n) != n) {
				sha256_free(&h);
				return berr_sys(err, "spool the archive");
			}
		}
		if (n < 0) {
			sha256_free(&h);
			return berr_sys(err, "read %s", where);
		}
		sha256_final_hex(&h, digest);
	}
	if (lseek(tmp, 0, SEEK_SET) < 0)
		return berr_sys(err, "rewind the archive");
	*out = steal_fd(&tmp);
	return 0;
}

int cmd_git_from_archive(int argc, char **argv)
{
	char digest[SHA256_HEX_LEN + 1];
	autoclose int fd = -1;
	struct berr err;

	/* Dokku's --archive-type tar|tar.gz|zip is accepted; libarchive detects the
	 * format and compression by itself. */
	if (argc >= 3 && !strcmp(argv[1], "--archive-type")) {
		if (strcmp(argv[2], "tar") && strcmp(argv[2], "tar.gz") && strcmp(argv[2], "zip"))
			return cmd_fail("git:from-archive: --archive-type must be tar, tar.gz or zip");
		argc -= 2;
		argv += 2;
	}
	if (argc != 3)
		return cmd_fail("Usage: berth git:from-archive [--archive-type tar|tar.gz|zip] APP FILE|URL|-");
	if (app_require(argv[1], &err) < 0 || spool_archive(argv[2], &fd, digest, &err) < 0 ||
	    deploy_archive(argv[1], fd, digest, &err) < 0)
		return cmd_fail("%s", err.msg);
	return 0;
}

int cmd_ps_rebuild(int argc, char **argv)
{
	struct berr err;

	if (argc != 2)
		return cmd_fail("Usage: berth ps:rebuild APP");
	if (deploy_rebuild(argv[1], &err) < 0)
		return cmd_fail("%s", err.msg);
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct strv env = { 0 }, command = { 0 };
	struct berr err;
	int i = 1, status = 0;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if ((!strcmp(argv[i], "-e") || !strcmp(argv[i], "--env")) && i + 1 < argc) {
			strv_push(&env, argv[++i]);
			continue;
		}
		strv_free(&env);
		return cmd_fail("run: unknown option %s; usage: berth run [-e KEY=VALUE] APP COMMAND...", argv[i]);
	}
	if (argc - i < 2) {
		strv_free(&env);
		return cmd_fail("Usage: berth run [-e KEY=VALUE] APP COMMAND...");
	}
	for (int a = i + 1; a < argc; a++)
		strv_push(&command, argv[a]);
	if (app_run_oneoff(argv[i], &command, &env, &status, &err) < 0) {
		status = cmd_fail("%s", err.msg);
	}
	strv_free(&env);
	strv_free(&command);
	return status;
}
