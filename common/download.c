/* download.c - see download.h. */
#include "common/download.h"

#include <curl/curl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/fetch_guard.h"

static size_t write_to_fd(void *ptr, size_t size, size_t nmemb, void *fdp)
{
	size_t len = size * nmemb;

	for (size_t off = 0; off < len;) {
		ssize_t w = write(*(int *)fdp, (char *)ptr + off, len - off);

		if (w < 0)
			return 0;  /* libcurl reports CURLE_WRITE_ERROR */
		off += (size_t)w;
	}
	return len;
}

/* Every connection (redirects too) to an address fetch_addr_allowed() accepts. */
static curl_socket_t open_guarded(void *ctx, curlsocktype purpose, struct curl_sockaddr *a)
{
	char *why = ctx;

	(void)purpose;
	if (!fetch_addr_allowed(&a->addr, why, CURL_ERROR_SIZE))
		return CURL_SOCKET_BAD;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

int download_to_fd(const char *url, int fd, struct berr *err)
{
	CURL *curl = curl_easy_init();
	char errbuf[CURL_ERROR_SIZE] = "", denied[CURL_ERROR_SIZE] = "";
	CURLcode rc;

	if (!curl)
		return berr_fail(err, "download %s: cannot initialise libcurl", url);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 20L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 600L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_guarded);
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, denied);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_to_fd);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &fd);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(curl);
	curl_easy_cleanup(curl);
	if (rc != CURLE_OK && *denied)
		return berr_fail(err, "download %s: %s", url, denied);
	if (rc != CURLE_OK)
		return berr_fail(err, "download %s: %s%s", url, *errbuf ? errbuf : curl_easy_strerror(rc),
				 rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT
					 ? " (is the network reachable from this host?)" : "");
	return 0;
}
