/* sha256.h - SHA-256 digests through OpenSSL's EVP (SHA-NI where the CPU has it). */
#ifndef BERTH_COMMON_SHA256_H
#define BERTH_COMMON_SHA256_H

#include <stddef.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64

struct sha256 {
	void *ctx;  /* EVP_MD_CTX */
};

void sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *data, size_t len);
/* Feed a string and its terminating NUL, so "ab"+"c" differs from "a"+"bc". */
void sha256_update_str(struct sha256 *h, const char *s);
/* Write the digest and release h. */
void sha256_final(struct sha256 *h, unsigned char out[SHA256_LEN]);
void sha256_final_hex(struct sha256 *h, char out[SHA256_HEX_LEN + 1]);
/* Release h without a digest (an abandoned computation); NULL-safe. */
void sha256_free(struct sha256 *h);
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);
/* Lowercase hex of data into out (2 * len + 1 bytes). */
void hex_encode(const unsigned char *data, size_t len, char *out);

#endif
