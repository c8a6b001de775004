/* digest.c - the spellings of digests berth reads and writes. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/internal.h"

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
