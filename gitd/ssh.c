/* ssh.c - what the ssh entry point needs that is not about apps: splitting
 * SSH_ORIGINAL_COMMAND the way a shell splits words (and doing nothing else a
 * shell does), and checking OpenSSH public keys. */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>

#include "common/cleanup.h"
#include "gitd/gitd.h"

int gitd_shell_split(const char *line, struct strv *argv, struct berr *err)
{
	size_t cap = strlen(line) + 1, len = 0;
	autofree char *word = xmalloc(cap);
	bool in_word = false;
	const char *p = line;

	for (;; p++) {
		char c = *p;

		if (c == '\0' || c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				word[len] = '\0';
				strv_push(argv, word);
				len = 0;
				in_word = false;
			}
			if (c == '\0')
				return 0;
			continue;
		}
		in_word = true;
		if (c == '\'') {
			/* Everything up to the next quote, verbatim. */
			const char *end = strchr(p + 1, '\'');

			if (!end)
				return berr_fail(err, "unterminated ' in the command");
			memcpy(word + len, p + 1, (size_t)(end - p - 1));
			len += (size_t)(end - p - 1);
			p = end;
		} else if (c == '"') {
			/* Backslash escapes only \ " $ ` and newline, as in sh; $ and `
			 * are plain characters here: nothing is expanded. */
			for (p++; *p != '"'; p++) {
				if (*p == '\0')
					return berr_fail(err, "unterminated \" in the command");
				if (*p == '\\' && p[1] && strchr("\\\"$`\n", p[1]))
					p++;
				word[len++] = *p;
			}
		} else if (c == '\\') {
			if (p[1] == '\0')
				return berr_fail(err, "the command ends with a lone \\");
			word[len++] = *++p;
		} else {
			word[len++] = c;
		}
	}
}

static const char *const key_types[] = {
	"ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
};

void gitd_ssh_key_free(struct gitd_ssh_key *key)
{
	free(key->type);
	free(key->blob);
	free(key->fingerprint);
	memset(key, 0, sizeof(*key));
}

int gitd_ssh_key_parse(const char *text, struct gitd_ssh_key *key, struct berr *err)
{
	struct strv words = { 0 };
	autofree unsigned char *raw = NULL;
	unsigned char digest[SHA256_DIGEST_LENGTH];
	char fp[64];
	bool known = false;
	size_t b64len, rawlen, tlen;
	int n, pad = 0, r = -1;

	memset(key, 0, sizeof(*key));
	/* Split on blanks only: a key line holds no quotes. */
	for (const char *p = text; *p;) {
		size_t w;

		p += strspn(p, " \t\r\n");
		w = strcspn(p, " \t\r\n");
		if (w)
			strv_push_owned(&words, xstrndup(p, w));
		p += w;
	}
	if (words.n < 2) {
		berr_fail(err, "not an ssh public key: expected 'TYPE BASE64 [COMMENT]' (e.g. the content of ~/.ssh/id_ed25519.pub)");
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(key_types); i++)
		if (!strcmp(words.v[0], key_types[i]))
			known = true;
	if (!known) {
		berr_fail(err, "not an ssh public key: unknown key type '%.40s' (options before the key are not accepted)",
			  words.v[0]);
		goto out;
	}
	b64len = strlen(words.v[1]);
	if (b64len % 4 || b64len < 8 || strspn(words.v[1], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != b64len) {
		berr_fail(err, "not an ssh public key: the key data is not base64");
		goto out;
	}
	raw = xmalloc(b64len);
	n = EVP_DecodeBlock(raw, (const unsigned char *)words.v[1], (int)b64len);
	if (words.v[1][b64len - 1] == '=')
		pad += 1 + (words.v[1][b64len - 2] == '=');
	if (n < 0 || n - pad < 4) {
		berr_fail(err, "not an ssh public key: the key data is not base64");
		goto out;
	}
	rawlen = (size_t)(n - pad);
	/* The blob starts with its own type as an SSH string. */
	tlen = (size_t)raw[0] << 24 | (size_t)raw[1] << 16 | (size_t)raw[2] << 8 | raw[3];
	if (tlen != strlen(words.v[0]) || 4 + tlen > rawlen || memcmp(raw + 4, words.v[0], tlen) ||
	    rawlen < 4 + tlen + 4) {
		berr_fail(err, "not an ssh public key: the key data does not match its type %s", words.v[0]);
		goto out;
	}
	SHA256(raw, rawlen, digest);
	n = EVP_EncodeBlock((unsigned char *)fp, digest, sizeof(digest));
	while (n > 0 && fp[n - 1] == '=')
		n--;  /* OpenSSH prints the fingerprint without padding */
	fp[n] = '\0';
	key->type = xstrdup(words.v[0]);
	key->blob = xstrdup(words.v[1]);
	key->fingerprint = xasprintf("SHA256:%s", fp);
	r = 0;
out:
	strv_free(&words);
	return r;
}
