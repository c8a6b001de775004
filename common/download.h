/* download.h - fetch a URL into a file descriptor with libcurl. */
#ifndef BERTH_COMMON_DOWNLOAD_H
#define BERTH_COMMON_DOWNLOAD_H

#include "common/err.h"

/* GET url (http, https or file) following redirects and append the body to fd.
 * Errors name the URL and, for connection failures, hint at the network. */
int download_to_fd(const char *url, int fd, struct berr *err);

#endif
