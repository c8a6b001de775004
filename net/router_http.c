/* router_http.c - the router's HTTP heads: http_parser callbacks that rebuild a
 * request head for the upstream and a response head for the client, the checks
 * that refuse ambiguous requests (smuggling forms), and the short error pages.
 *
 * Hop-by-hop headers (Connection, Keep-Alive, Proxy-Connection, TE, Trailer,
 * Upgrade, Transfer-Encoding on responses) are the router's own on each side; the
 * X-Forwarded-* and X-Request-Start headers a client sends are replaced, except
 * X-Forwarded-For, which is extended as proxies do. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "net/router.h"

static bool name_is(const struct rbuf *b, const char *name)
{
	return b->len == strlen(name) && !strncasecmp(b->p, name, b->len);
}

static void trim_value(struct rbuf *v)
{
	while (v->len && (v->p[v->len - 1] == ' ' || v->p[v->len - 1] == '\t'))
		v->len--;
	if (v->p)
		v->p[v->len] = '\0';
}

static int count_head(struct client *c, size_t n)
{
	c->head_bytes += n;
	if (c->head_bytes > router_self->opt->max_head) {
		c->head_too_big = true;
		return -1;
	}
	return 0;
}

/* ---- requests ---- */

static int req_begin(http_parser *p)
{
	struct client *c = p->data;

	c->head.len = c->url.len = c->field.len = c->value.len = 0;
	c->xff.len = c->upgrade.len = 0;
	c->in_value = false;
	c->host_len = 0;
	c->n_host = c->n_content_length = c->n_transfer_encoding = 0;
	c->te_chunked_only = true;
	c->bad_header = false;
	c->head_bytes = 0;
	c->head_too_big = false;
	c->head_started = true;
	c->head_done = c->message_done = false;
	c->request_start_ms = wall_ms();
	return 0;
}

static int req_url(http_parser *p, const char *at, size_t n)
{
	struct client *c = p->data;

	rbuf_add(&c->url, at, n);
	return count_head(c, n);
}

static bool is_token(const struct rbuf *b)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~0123456789"
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

	return b->len && strspn(b->p, tchar) == b->len;
}

static void req_header_done(struct client *c)
{
	struct rbuf *f = &c->field, *v = &c->value;

	trim_value(v);
	/* "Transfer-Encoding : chunked" is not a header a backend might read as one. */
	if (!is_token(f))
		c->bad_header = true;
	if (name_is(f, "host")) {
		c->n_host++;
		c->host_len = v->len < sizeof(c->host) ? v->len : 0;
		if (c->host_len)
			memcpy(c->host, v->p, v->len);
	} else if (name_is(f, "content-length")) {
		c->n_content_length++;
	} else if (name_is(f, "transfer-encoding")) {
		c->n_transfer_encoding++;
		if (v->len != 7 || strncasecmp(v->p, "chunked", 7))
			c->te_chunked_only = false;
	} else if (name_is(f, "x-forwarded-for")) {
		if (c->xff.len)
			rbuf_add(&c->xff, ", ", 2);
		rbuf_add(&c->xff, v->p, v->len);
		return;
	} else if (name_is(f, "upgrade")) {
		rbuf_add(&c->upgrade, v->p, v->len);
		return;
	} else if (name_is(f, "connection") || name_is(f, "keep-alive") ||
		   name_is(f, "proxy-connection") || name_is(f, "te") || name_is(f, "trailer") ||
		   name_is(f, "x-forwarded-proto") || name_is(f, "x-forwarded-port") ||
		   name_is(f, "x-request-start")) {
		return;
	}
	rbuf_add(&c->head, f->p, f->len);
	rbuf_add(&c->head, ": ", 2);
	rbuf_add(&c->head, v->p, v->len);
	rbuf_add(&c->head, "\r\n", 2);
}

static int req_field(http_parser *p, const char *at, size_t n)
{
	struct client *c = p->data;

	if (c->in_value) {
		req_header_done(c);
		c->field.len = c->value.len = 0;
		c->in_value = false;
	}
	rbuf_add(&c->field, at, n);
	return count_head(c, n);
}

static int req_value(http_parser *p, const char *at, size_t n)
{
	struct client *c = p->data;

	c->in_value = true;
	rbuf_add(&c->value, at, n);
	return count_head(c, n);
}

static int req_headers_complete(http_parser *p)
{
	struct client *c = p->data;
	struct rbuf out = { 0 };
	char ip[16];

	if (c->in_value)
		req_header_done(c);
	c->in_value = false;
	net_ntoa(ntohl(c->peer.sin_addr.s_addr), ip);
	/* Built piece by piece: no printf per request. */
	rbuf_add_str(&out, http_method_str(p->method));
	rbuf_add(&out, " ", 1);
	if (c->url.len)
		rbuf_add(&out, c->url.p, c->url.len);
	else
		rbuf_add(&out, "/", 1);
	rbuf_add_str(&out, " HTTP/1.1\r\n");
	rbuf_add(&out, c->head.p, c->head.len);
	rbuf_add_str(&out, "X-Forwarded-For: ");
	if (c->xff.len) {
		rbuf_add(&out, c->xff.p, c->xff.len);
		rbuf_add(&out, ", ", 2);
	}
	rbuf_add_str(&out, ip);
	rbuf_add_str(&out, "\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: ");
	rbuf_add_uint(&out, c->port);
	rbuf_add_str(&out, "\r\nX-Request-Start: t=");
	rbuf_add_uint(&out, (unsigned long long)c->request_start_ms);
	rbuf_add(&out, "\r\n", 2);
	c->wants_upgrade = p->upgrade && p->method != HTTP_CONNECT && c->upgrade.len;
	if (c->wants_upgrade)
		rbuf_printf(&out, "Connection: Upgrade\r\nUpgrade: %s\r\n", c->upgrade.p);
	rbuf_add(&out, "\r\n", 2);
	rbuf_free(&c->head);
	c->head = out;
	c->keep_alive = http_should_keep_alive(p);
	c->is_head = p->method == HTTP_HEAD;
	c->http10 = p->http_major == 1 && p->http_minor == 0;
	c->head_done = true;
	http_parser_pause(p, 1);
	return 0;
}

static int req_message_complete(http_parser *p)
{
	struct client *c = p->data;

	c->message_done = true;
	http_parser_pause(p, 1);
	return 0;
}

const http_parser_settings router_req_settings = {
	.on_message_begin = req_begin,
	.on_url = req_url,
	.on_header_field = req_field,
	.on_header_value = req_value,
	.on_headers_complete = req_headers_complete,
	.on_message_complete = req_message_complete,
};

int request_check(struct client *c)
{
	http_parser *p = &c->req;

	if (p->http_major != 1 || p->http_minor > 1)
		return 505;
	if (c->bad_header)
		return 400;
	if (c->n_content_length > 1 || (c->n_content_length && c->n_transfer_encoding))
		return 400;  /* which length would the backend believe? */
	if (c->n_transfer_encoding > 1 || (c->n_transfer_encoding && !c->te_chunked_only))
		return 400;
	if (c->n_transfer_encoding && c->http10)
		return 400;
	if (c->n_host > 1 || (c->n_host == 1 && !c->host_len))
		return 400;
	if (!c->n_host && !c->http10)
		return 400;  /* HTTP/1.1 requires Host */
	if (p->method == HTTP_CONNECT)
		return 405;
	return 0;
}

/* ---- responses ---- */

static int resp_begin(http_parser *p)
{
	struct client *c = p->data;

	c->head.len = c->status.len = c->field.len = c->value.len = c->upgrade.len = 0;
	c->in_value = false;
	c->resp_head_done = false;
	return 0;
}

static int resp_status(http_parser *p, const char *at, size_t n)
{
	struct client *c = p->data;

	rbuf_add(&c->status, at, n);
	return 0;
}

static void resp_header_done(struct client *c)
{
	struct rbuf *f = &c->field, *v = &c->value;

	trim_value(v);
	if (name_is(f, "upgrade")) {
		rbuf_add(&c->upgrade, v->p, v->len);
		return;
	}
	if (name_is(f, "connection") || name_is(f, "keep-alive") ||
	    name_is(f, "proxy-connection") || name_is(f, "transfer-encoding"))
		return;
	rbuf_add(&c->head, f->p, f->len);
	rbuf_add(&c->head, ": ", 2);
	rbuf_add(&c->head, v->p, v->len);
	rbuf_add(&c->head, "\r\n", 2);
}

static int resp_field(http_parser *p, const char *at, size_t n)
{
	struct client *c = p->data;

	if (c->in_value) {
		resp_header_done(c);
		c->field.len = c->value.len = 0;
		c->in_value = false;
	}
	rbuf_add(&c->field, at, n);
	return 0;
}

static int resp_value(http_parser *p, const char *at, size_t n)
{
	struct client *c = p->data;

	c->in_value = true;
	rbuf_add(&c->value, at, n);
	return 0;
}

static int resp_headers_complete(http_parser *p)
{
	struct client *c = p->data;
	struct rbuf out = { 0 };
	unsigned status = p->status_code;
	bool chunked = p->flags & F_CHUNKED;
	bool bodiless = c->is_head || status / 100 == 1 || status == 204 || status == 304;

	if (c->in_value)
		resp_header_done(c);
	c->in_value = false;
	rbuf_add_str(&out, "HTTP/1.1 ");
	rbuf_add_uint(&out, status);
	rbuf_add(&out, " ", 1);
	if (c->status.len)
		rbuf_add(&out, c->status.p, c->status.len);
	rbuf_add(&out, "\r\n", 2);
	rbuf_add(&out, c->head.p, c->head.len);
	if (status == 101) {
		if (c->wants_upgrade)
			rbuf_printf(&out, "Connection: Upgrade\r\nUpgrade: %s\r\n",
				    c->upgrade.len ? c->upgrade.p : "websocket");
	} else if (status / 100 != 1) {
		c->close_delimited = !bodiless && !chunked && !(p->flags & F_CONTENTLENGTH);
		if (chunked && !bodiless) {
			if (c->http10)
				c->dechunk = true;  /* 1.0 has no chunks: plain bytes, then close */
			else
				rbuf_add(&out, "Transfer-Encoding: chunked\r\n", 28);
		}
		if (!c->keep_alive || c->close_delimited || c->dechunk || c->saw_eof ||
		    c->phase == PH_BODY || c->req.upgrade || router_self->stopping)
			c->close_after = true;
		if (c->close_after)
			rbuf_add(&out, "Connection: close\r\n", 19);
		else if (c->http10)
			rbuf_add(&out, "Connection: keep-alive\r\n", 24);
	}
	rbuf_add(&out, "\r\n", 2);
	rbuf_free(&c->head);
	c->head = out;
	c->resp_head_done = true;
	http_parser_pause(p, 1);
	return c->is_head ? 1 : 0;
}

static int resp_body(http_parser *p, const char *at, size_t n)
{
	struct client *c = p->data;

	if (c->dechunk)
		rbuf_add(&c->out, at, n);
	return 0;
}

static int resp_message_complete(http_parser *p)
{
	struct client *c = p->data;

	c->resp_done = true;
	http_parser_pause(p, 1);
	return 0;
}

const http_parser_settings router_resp_settings = {
	.on_message_begin = resp_begin,
	.on_status = resp_status,
	.on_header_field = resp_field,
	.on_header_value = resp_value,
	.on_headers_complete = resp_headers_complete,
	.on_body = resp_body,
	.on_message_complete = resp_message_complete,
};

/* ---- the router's own answers ---- */

static const char *status_text(int status, const char **detail)
{
	switch (status) {
	case 400: *detail = "The request could not be understood."; return "Bad Request";
	case 404: *detail = "No app is served at this address."; return "Not Found";
	case 405: *detail = "This method is not served here."; return "Method Not Allowed";
	case 408: *detail = "The request took too long to arrive."; return "Request Timeout";
	case 431: *detail = "The request's headers are too large."; return "Request Header Fields Too Large";
	case 505: *detail = "Use HTTP/1.1 or HTTP/1.0."; return "HTTP Version Not Supported";
	case 502: *detail = "The app is not answering."; return "Bad Gateway";
	case 503: *detail = "The app is starting or too busy; try again shortly."; return "Service Unavailable";
	case 504: *detail = "The app did not answer in time."; return "Gateway Timeout";
	}
	*detail = "";
	return "Error";
}

void router_error_page(struct rbuf *out, int status, bool head_only)
{
	const char *detail, *text = status_text(status, &detail);
	struct rbuf body = { 0 };

	rbuf_printf(&body, "<!DOCTYPE html>\n<title>%d %s</title>\n<h1>%d %s</h1>\n<p>%s</p>\n",
		    status, text, status, text, detail);
	rbuf_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=utf-8\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, text, body.len);
	if (!head_only)
		rbuf_add(out, body.p, body.len);
	rbuf_free(&body);
}
