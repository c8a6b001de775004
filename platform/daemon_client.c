/* daemon_client.c - the CLI's side of the control socket: one JSON request line,
 * one JSON reply line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/paths.h"
#include "platform/daemon.h"

static int daemon_connect(struct berr *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	autofree char *path = xasprintf("%s/daemon/daemon.sock", berth_run());
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return berr_fail(err, "socket path %s is too long", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berr_sys(err, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			return berr_fail(err, "berth daemon is not running (start it with "
					 "`berth daemon` or `systemctl start berth`)");
		return berr_errno(err, e, "connect to the berth daemon at %s", path);
	}
	return fd;
}

bool daemon_running(void)
{
	struct berr err;
	int fd = daemon_connect(&err);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int daemon_request(json_t *req, json_t **reply, struct berr *err)
{
	autoclose int fd = daemon_connect(err);
	autofree char *text = NULL;
	autofree char *answer = NULL;
	json_error_t jerr;
	size_t len;
	const char *msg;

	*reply = NULL;
	if (fd < 0)
		return -1;
	text = json_dumps(req, JSON_COMPACT);
	len = strlen(text);
	text = xrealloc(text, len + 2);
	text[len++] = '\n';
	if (write_all(fd, text, len, "request to the berth daemon", err) < 0)
		return -1;
	if (read_fd_max(fd, 1 << 20, &answer, &len, err) < 0)
		return -1;
	*reply = json_loadb(answer, len, 0, &jerr);
	if (!json_is_object(*reply)) {
		json_decref(*reply);
		*reply = NULL;
		return berr_fail(err, "the berth daemon gave no answer (did it stop?)");
	}
	if ((msg = json_string_value(json_object_get(*reply, "error")))) {
		berr_fail(err, "%s", msg);
		json_decref(*reply);
		*reply = NULL;
		return -1;
	}
	return 0;
}

int daemon_notify(const char *app, bool restart, struct berr *err)
{
	json_t *req, *reply;
	int r;

	if (!daemon_running())
		return 0;
	req = json_pack("{s:s, s:s, s:b}", "op", "reconcile", "app", app, "restart", restart);
	r = daemon_request(req, &reply, err);
	json_decref(req);
	json_decref(reply);
	return r;
}

int daemon_rollout(const char *app, unsigned version, bool restart, const char *type,
		   const struct sink *sink, struct berr *err)
{
	autoclose int fd = daemon_connect(err);
	autofree char *text = NULL;
	json_t *req;
	char buf[8192];
	size_t n = 0;
	int r;

	if (fd < 0)
		return -1;
	req = json_pack("{s:s, s:s, s:I, s:b}", "op", "rollout", "app", app, "version",
			(json_int_t)version, "restart", restart);
	if (type)
		json_object_set_new(req, "type", json_string(type));
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	size_t len = strlen(text);

	text = xrealloc(text, len + 2);
	text[len++] = '\n';
	if (write_all(fd, text, len, "request to the berth daemon", err) < 0)
		return -1;
	/* Progress lines, then the answer. No time limit: the daemon's checks
	 * have their own, and it answers or closes. */
	for (;;) {
		char *nl;
		ssize_t k;

		while ((nl = memchr(buf, '\n', n))) {
			json_error_t jerr;
			json_t *msg = json_loadb(buf, nl - buf, 0, &jerr);
			const char *line = json_string_value(json_object_get(msg, "line"));
			const char *error = json_string_value(json_object_get(msg, "error"));
			bool ok = json_is_true(json_object_get(msg, "ok"));

			json_int_t kind = json_integer_value(json_object_get(msg, "kind"));

			if (line)
				sink_emit(sink, kind >= SINK_HEADER && kind <= SINK_OUTPUT ? (enum sink_kind)kind
											: SINK_DETAIL,
					  "%s", line);
			r = error ? berr_fail(err, "%s", error) : ok ? 0 : 1;
			json_decref(msg);
			n -= nl + 1 - buf;
			memmove(buf, nl + 1, n);
			if (r <= 0)
				return r;
		}
		if (n == sizeof(buf))
			n = 0;  /* a line longer than any the daemon sends: drop it */
		k = read(fd, buf + n, sizeof(buf) - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return berr_fail(err, "the berth daemon stopped during the deploy of %s", app);
		n += k;
	}
}

int daemon_app_stop(const char *app, struct berr *err)
{
	json_t *req, *reply;
	int r;

	if (!daemon_running())
		return 0;
	req = json_pack("{s:s, s:s}", "op", "stop", "app", app);
	r = daemon_request(req, &reply, err);
	json_decref(req);
	json_decref(reply);
	return r;
}
