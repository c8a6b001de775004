/* sha256.c - sha256 through OpenSSL's EVP (SHA-NI where the CPU has it), and the
 * spellings of digests berth reads and writes. */
#include <ctype.h>
#include <stdio.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "images/internal.h"

static EVP_MD *sha256_md(void)
{
	/* Fetch once: an implicit fetch on every init shows up when hashing 20,000
	 * small files. */
	static EVP_MD *md;

	if (!md)
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!md) {
		fputs(" !     berth: OpenSSL has no SHA256\n", stderr);
		abort();
	}
	return md;
}

void sha256_init(struct sha256 *h)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || !EVP_DigestInit_ex(ctx, sha256_md(), NULL)) {
		fputs(" !     berth: cannot start a SHA256 digest\n", stderr);
		abort();
	}
	h->ctx = ctx;
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
	if (len)
		EVP_DigestUpdate(h->ctx, data, len);
}

void sha256_final(struct sha256 *h, unsigned char out[SHA256_LEN])
{
	unsigned int n = SHA256_LEN;

	EVP_DigestFinal_ex(h->ctx, out, &n);
	sha256_free(h);
}

void sha256_free(struct sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

void hex_encode(const unsigned char *data, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 15];
	}
	out[2 * len] = '\0';
}

bool is_layer_id(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return i == LAYER_ID_HEX;
}

const char *digest_hex(const char *digest)
{
	if (!digest || strncmp(digest, "sha256:", 7) || !is_layer_id(digest + 7))
		return NULL;
	return digest + 7;
}
