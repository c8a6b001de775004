/* deploy.c - git:from-archive, ps:rebuild and run. */
#include <curl/curl.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/sha256.h"
#include "common/ui.h"
#include "platform/platform.h"

static size_t write_fd(void *ptr, size_t size, size_t nmemb, void *fdp)
{
	size_t len = size * nmemb;

	for (size_t off = 0; off < len;) {
		ssize_t w = write(*(int *)fdp, (char *)ptr + off, len - off);

		if (w < 0)
			return 0;
		off += (size_t)w;
	}
	return len;
}

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
		CURL *curl = curl_easy_init();
		char errbuf[CURL_ERROR_SIZE] = "";
		CURLcode rc;

		if (!curl)
			return berr_fail(err, "download %s: cannot initialise libcurl", where);
		curl_easy_setopt(curl, CURLOPT_URL, where);
		curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_fd);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, &tmp);
		curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
		rc = curl_easy_perform(curl);
		curl_easy_cleanup(curl);
		if (rc != CURLE_OK)
			return berr_fail(err, "download %s: %s", where, *errbuf ? errbuf : curl_easy_strerror(rc));
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
				sha256_discard(&h);
				return berr_sys(err, "spool the archive");
			}
		}
		if (n < 0) {
			sha256_discard(&h);
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

	if (argc != 3)
		return cmd_fail("Usage: berth git:from-archive APP FILE|URL|-");
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
