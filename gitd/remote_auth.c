/* remote_auth.c - what git:sync shows another git server, and what it asks of
 * it, from the berth user's home (home.c), as Dokku's git does from ~dokku:
 *   https: a login and password from ~/.netrc (git:auth) when the server asks;
 *   ssh:   the deploy key ~/.ssh/id_ed25519 or id_rsa (git:generate-deploy-key),
 *          and the server's host key must be in ~/.ssh/known_hosts
 *          (git:allow-host): libgit2 1.5 checks no host key itself, so an
 *          unknown or changed one is refused here.
 * One try each: a refused login ends the fetch with a message that says what
 * to set, rather than libgit2 asking again and again. */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "gitd/internal.h"

#define KNOWN_HOSTS_MAX (4 << 20)

/* host and port of an ssh or http(s) URL, or of scp-like "user@host:path". */
static void url_host(const char *url, char **host, unsigned *port)
{
	const char *p = strstr(url, "://");
	const char *end, *at;

	*port = 0;
	p = p ? p + 3 : url;
	end = p + strcspn(p, "/");
	at = memchr(p, '@', (size_t)(end - p));
	if (at)
		p = at + 1;
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));

		if (close) {
			*host = xstrndup(p + 1, (size_t)(close - p - 1));
			if (close[1] == ':' && strstr(url, "://"))
				*port = (unsigned)strtoul(close + 2, NULL, 10);
			return;
		}
	}
	{
		const char *colon = memchr(p, ':', (size_t)(end - p));

		*host = xstrndup(p, (size_t)((colon ? colon : end) - p));
		if (colon && strstr(url, "://"))
			*port = (unsigned)strtoul(colon + 1, NULL, 10);
	}
}

/* Fail the fetch with msg (taken), which the caller reports. */
static int fail(struct gitd_remote_auth *a, char *msg, int code)
{
	free(a->error);
	a->error = msg;
	git_error_set_str(GIT_ERROR_NET, msg);
	return code;
}

static int credentials(git_credential **out, const char *url, const char *user_from_url,
		       unsigned int allowed, void *payload)
{
	struct gitd_remote_auth *a = payload;
	autofree char *host = NULL;
	unsigned port;

	url_host(url, &host, &port);
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		autofree char *dir = gitd_ssh_dir();
		static const char *const names[] = { "id_ed25519", "id_rsa" };

		if (a->ssh_tries++)
			return fail(a, xasprintf("%s refused the deploy key: give it the key that "
						 "git:public-key prints", host), GIT_EAUTH);
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			autofree char *key = xasprintf("%s/%s", dir, names[i]);
			autofree char *pub = xasprintf("%s.pub", key);

			if (path_exists(key))
				return git_credential_ssh_key_new(out, user_from_url ? user_from_url : "git",
								  path_exists(pub) ? pub : NULL, key, NULL);
		}
		return fail(a, xasprintf("%s asks for an ssh key and there is no deploy key: "
					 "make one with git:generate-deploy-key", host), GIT_EAUTH);
	}
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
		autofree char *path = gitd_netrc_path();
		const struct gitd_netrc_entry *e;
		struct gitd_netrc nr;
		struct berr err;
		int r;

		if (a->userpass_tries++)
			return fail(a, xasprintf("%s refused the login of its netrc entry: set it again "
						 "with git:auth %s USERNAME PASSWORD", host, host), GIT_EAUTH);
		if (gitd_netrc_load(path, &nr, &err) < 0)
			return fail(a, xstrdup(err.msg), GIT_EAUTH);
		e = gitd_netrc_find(&nr, host);
		if (!e || !e->login || !e->password) {
			gitd_netrc_free(&nr);
			return fail(a, xasprintf("%s asks for a login: set one with git:auth %s "
						 "USERNAME PASSWORD", host, host), GIT_EAUTH);
		}
		r = git_credential_userpass_plaintext_new(out, e->login, e->password);
		gitd_netrc_free(&nr);
		return r;
	}
	/* ssh without a user in the URL asks for one first. */
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user_from_url ? user_from_url : "git");
	return fail(a, xasprintf("%s asks for a kind of login berth does not have", host), GIT_EAUTH);
}

/* ssh's host patterns: '*' and '?' are wildcards, nothing else is ('[' of
 * "[host]:port" is itself); case does not matter. */
static bool wildcard_match(const char *pat, const char *s)
{
	if (!*pat)
		return !*s;
	if (*pat == '*')
		return wildcard_match(pat + 1, s) || (*s && wildcard_match(pat, s + 1));
	if (!*s)
		return false;
	if (*pat != '?' && tolower((unsigned char)*pat) != tolower((unsigned char)*s))
		return false;
	return wildcard_match(pat + 1, s + 1);
}

/* Does a known_hosts host pattern list name "host" or "[host]:port"? A
 * negated pattern that matches rules the line out. */
static bool patterns_match(const char *patterns, const char *name)
{
	autofree char *list = xstrdup(patterns);
	bool match = false;
	char *save = NULL;

	if (str_has_prefix(list, "|1|")) {
		/* Hashed: |1|base64(salt)|base64(HMAC-SHA1(salt, name)) */
		unsigned char salt[64], want[64], got[EVP_MAX_MD_SIZE];
		unsigned got_len = 0;
		char *sep = strchr(list + 3, '|');
		int salt_len, want_len;

		if (!sep)
			return false;
		*sep = '\0';
		if (strlen(list + 3) > 84 || strlen(sep + 1) > 84)
			return false;
		salt_len = EVP_DecodeBlock(salt, (const unsigned char *)list + 3, (int)strlen(list + 3));
		want_len = EVP_DecodeBlock(want, (const unsigned char *)sep + 1, (int)strlen(sep + 1));
		if (salt_len < 20 || want_len < 20)
			return false;
		if (!HMAC(EVP_sha1(), salt, 20, (const unsigned char *)name, strlen(name), got, &got_len))
			return false;
		return got_len == 20 && !memcmp(got, want, 20);
	}
	for (char *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		bool negated = *p == '!';

		if (wildcard_match(negated ? p + 1 : p, name)) {
			if (negated)
				return false;
			match = true;
		}
	}
	return match;
}

/* 1: the key is host's in known_hosts, 0: not there, -1: there as another key
 * (or revoked). */
static int known_host(const char *path, const char *name, const char *type,
		      const unsigned char *key, size_t key_len)
{
	autofree char *text = NULL;
	autofree unsigned char *blob = NULL;
	size_t len;
	struct berr err;
	int found = 0;
	char *save = NULL;

	if (read_file(path, &text, &len, &err) < 0 || len > KNOWN_HOSTS_MAX)
		return 0;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[4] = { 0 };
		char *fsave = NULL;
		bool revoked = false;
		size_t n = 0, b64len;
		int blob_len;

		line += strspn(line, " \t");
		if (!*line || *line == '#')
			continue;
		for (char *w = strtok_r(line, " \t\r", &fsave); w && n < 4; w = strtok_r(NULL, " \t\r", &fsave))
			f[n++] = w;
		if (n >= 1 && f[0][0] == '@') {
			if (strcmp(f[0], "@revoked"))
				continue;  /* @cert-authority: berth checks plain keys only */
			revoked = true;
			memmove(f, f + 1, 3 * sizeof(*f));
			n--;
		}
		if (n < 3 || !patterns_match(f[0], name))
			continue;
		b64len = strlen(f[2]);
		free(blob);
		blob = xmalloc(b64len + 4);
		blob_len = EVP_DecodeBlock(blob, (const unsigned char *)f[2], (int)b64len);
		if (blob_len < 0)
			continue;
		/* EVP_DecodeBlock counts the padding's zero bytes. */
		while (b64len && f[2][b64len - 1] == '=' && blob_len > 0) {
			b64len--;
			blob_len--;
		}
		if ((size_t)blob_len != key_len || memcmp(blob, key, key_len)) {
			if (!strcmp(f[1], type) && !revoked)
				found = found ? found : -1;  /* host's key of this type differs */
			continue;
		}
		if (revoked)
			return -1;
		found = 1;
	}
	return found;
}

static const char *raw_type_name(git_cert_ssh_raw_type_t t)
{
	switch (t) {
	case GIT_CERT_SSH_RAW_TYPE_RSA: return "ssh-rsa";
	case GIT_CERT_SSH_RAW_TYPE_DSS: return "ssh-dss";
	case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_256: return "ecdsa-sha2-nistp256";
	case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_384: return "ecdsa-sha2-nistp384";
	case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_521: return "ecdsa-sha2-nistp521";
	case GIT_CERT_SSH_RAW_TYPE_KEY_ED25519: return "ssh-ed25519";
	default: return "unknown";
	}
}

static int certificate_check(git_cert *cert, int valid, const char *host, void *payload)
{
	struct gitd_remote_auth *a = payload;
	const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
	autofree char *path = NULL;
	autofree char *dir = NULL;
	autofree char *name = NULL;
	autofree char *arg = NULL;
	int r;

	(void)valid;
	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return GIT_PASSTHROUGH;  /* TLS: libgit2's own verdict */
	if (!(hk->type & GIT_CERT_SSH_RAW))
		return fail(a, xasprintf("%s: libgit2 gave no host key to check", host), GIT_ECERTIFICATE);
	dir = gitd_ssh_dir();
	path = xasprintf("%s/known_hosts", dir);
	/* known_hosts names a host on another port than 22 "[host]:port", and
	 * git:allow-host takes it as host:port. */
	if (a->port && a->port != 22) {
		name = xasprintf("[%s]:%u", host, a->port);
		arg = xasprintf("%s:%u", host, a->port);
	} else {
		name = xstrdup(host);
		arg = xstrdup(host);
	}
	r = known_host(path, name, raw_type_name(hk->raw_type), (const unsigned char *)hk->hostkey,
		       hk->hostkey_len);
	if (r == 1)
		return 0;
	if (r < 0)
		return fail(a, xasprintf("the %s host key of %s is not the one in %s: refused (the host "
					 "changed its key, or someone is in between)",
					 raw_type_name(hk->raw_type), arg, path), GIT_ECERTIFICATE);
	return fail(a, xasprintf("%s is not a known host: add its key with git:allow-host %s", arg, arg),
		    GIT_ECERTIFICATE);
}

void gitd_remote_auth_init(struct gitd_remote_auth *a, const char *url, git_remote_callbacks *cb)
{
	autofree char *host = NULL;

	memset(a, 0, sizeof(*a));
	url_host(url, &host, &a->port);
	cb->credentials = credentials;
	cb->certificate_check = certificate_check;
	cb->payload = a;
}

void gitd_remote_auth_free(struct gitd_remote_auth *a)
{
	free(a->error);
	a->error = NULL;
}
