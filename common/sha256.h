/* sha256.h - SHA-256 digests (OpenSSL's EVP), as 64 lowercase hex digits. */
#ifndef BERTH_COMMON_SHA256_H
#define BERTH_COMMON_SHA256_H

#include <stddef.h>

#define SHA256_HEX_LEN 64

struct sha256 {
	void *ctx;  /* EVP_MD_CTX */
};

void sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *data, size_t len);
void sha256_update_str(struct sha256 *h, const char *s);  /* includes the NUL */
/* Write the hex digest to out and release h. */
void sha256_final_hex(struct sha256 *h, char out[SHA256_HEX_LEN + 1]);
/* Release h without a digest (an abandoned computation). */
void sha256_discard(struct sha256 *h);
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);

#endif
