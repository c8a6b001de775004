/* sha256.c - see sha256.h. */
#include "common/sha256.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static EVP_MD *sha256_md(void)
{
	/* Fetch once: an implicit fetch on every init shows up when hashing tens of
	 * thousands of small files. */
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

void sha256_update_str(struct sha256 *h, const char *s)
{
	sha256_update(h, s, strlen(s) + 1);
}

void sha256_final(struct sha256 *h, unsigned char out[SHA256_LEN])
{
	unsigned int n = SHA256_LEN;

	EVP_DigestFinal_ex(h->ctx, out, &n);
	sha256_free(h);
}

void sha256_final_hex(struct sha256 *h, char out[SHA256_HEX_LEN + 1])
{
	unsigned char md[SHA256_LEN];

	sha256_final(h, md);
	hex_encode(md, SHA256_LEN, out);
}

void sha256_free(struct sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
	struct sha256 h;

	sha256_init(&h);
	sha256_update(&h, data, len);
	sha256_final_hex(&h, out);
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
