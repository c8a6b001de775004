/* download.h - fetch a URL into a file descriptor with libcurl. */
#ifndef BERTH_COMMON_DOWNLOAD_H
#define BERTH_COMMON_DOWNLOAD_H

#include "common/err.h"

/* GET url (http, https or file) following redirects (http and https only) and
 * append the body to fd. Connects only where fetch_addr_allowed() says (never
 * this host, link-local addresses or its bridges' networks, unless the operator
 * allows it). Errors name the URL and, for connection failures, hint at the network. */
int download_to_fd(const char *url, int fd, struct berr *err);

#endif
