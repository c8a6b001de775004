/* git_auth.c - how the host reaches other git servers for git:sync, as Dokku
 * keeps it in the dokku user's home (berth's: gitd/home.c):
 *   git:auth HOST [USER [PASSWORD]]          ~/.netrc entry set or removed
 *   git:auth-status HOST [USER [PASSWORD]]   exit 0 when the entry is that
 *   git:allow-host HOST[:PORT]               ssh-keyscan into ~/.ssh/known_hosts
 *   git:generate-deploy-key                  ~/.ssh/id_ed25519 (ssh-keygen)
 *   git:public-key                           the deploy key's public half
 * A password left out is read from stdin when stdin is a pipe, so that it
 * stays off the command line. None of this needs libgit2: lean commands. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/ui.h"
#include "gitd/gitd.h"

/* Dokku's rule: with a login and no password, one line of stdin when stdin is
 * a pipe (or a socket: ssh's), without its newline. */
static char *read_password(const char *login, const char *given)
{
	struct stat st;
	char buf[4096];
	size_t n = 0;
	ssize_t r;

	if (!login || given)
		return given ? xstrdup(given) : NULL;
	if (fstat(STDIN_FILENO, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return NULL;
	while (n < sizeof(buf) - 1 && (r = read(STDIN_FILENO, buf + n, 1)) > 0 && buf[n] != '\n')
		n++;
	buf[n] = '\0';
	return n ? xstrdup(buf) : NULL;
}

/* The arguments of git:auth and git:auth-status; 0 or the exit status. */
static int auth_args(int argc, char **argv, const char **host, const char **login,
		     char **password)
{
	struct berr err;

	if (argc < 2 || !argv[1][0])
		return cmd_fail("Please supply a git host");
	if (argc > 4)
		return cmd_fail("Usage: %s %s <host> [<username> <password>]", cmd_name, argv[0]);
	*host = argv[1];
	*login = argc > 2 && argv[2][0] ? argv[2] : NULL;
	*password = read_password(*login, argc > 3 && argv[3][0] ? argv[3] : NULL);
	if (*login && !*password)
		return cmd_fail("Missing password for netrc auth entry");
	if (gitd_netrc_value_check("host", *host, &err) < 0 ||
	    (*login && gitd_netrc_value_check("username", *login, &err) < 0) ||
	    (*password && gitd_netrc_value_check("password", *password, &err) < 0))
		return cmd_fail("%s", err.msg);
	return 0;
}

int cmd_git_auth(int argc, char **argv)
{
	const char *host, *login;
	autofree char *password = NULL;
	autofree char *path = gitd_netrc_path();
	autoclose int lock = -1;
	struct gitd_netrc nr;
	struct berr err;
	int r = auth_args(argc, argv, &host, &login, &password);

	if (r)
		return r;
	if (login)
		ui_step("Setting netrc auth entry for host %s", host);
	else
		ui_step("Removing netrc auth entry for host %s", host);
	if (gitd_netrc_lock(path, &lock, &err) < 0 || gitd_netrc_load(path, &nr, &err) < 0)
		return cmd_fail("%s", err.msg);
	gitd_netrc_put(&nr, host, login, password);
	/* Written even when nothing changed (but not made when there is none):
	 * a file someone made world-readable is private again. */
	r = login || path_exists(path) ? gitd_netrc_save(path, &nr, &err) : 0;
	gitd_netrc_free(&nr);
	if (r < 0)
		return cmd_fail("%s", err.msg);
	return 0;
}

/* Exit 0 when HOST's entry is USER and PASSWORD (or, without them, when there
 * is none); 1 otherwise. Nothing is printed: the file stays unread by whoever
 * asks. */
int cmd_git_auth_status(int argc, char **argv)
{
	const char *host, *login;
	autofree char *password = NULL;
	autofree char *path = gitd_netrc_path();
	const struct gitd_netrc_entry *e;
	struct gitd_netrc nr;
	struct berr err;
	bool match;
	int r = auth_args(argc, argv, &host, &login, &password);

	if (r)
		return r;
	if (gitd_netrc_load(path, &nr, &err) < 0)
		return cmd_fail("%s", err.msg);
	e = gitd_netrc_find(&nr, host);
	if (e && !e->machine)
		e = NULL;  /* the "default" entry is not host's */
	if (!login)
		match = !e || !e->login;
	else
		match = e && e->login && e->password && !strcmp(e->login, login) &&
			!strcmp(e->password, password);
	gitd_netrc_free(&nr);
	return match ? 0 : 1;
}

/* Run argv; its stdout into *out when out is given (else ours). Exit status,
 * or -1 when it could not run. */
static int run(char *const argv[], char **out)
{
	int fds[2] = { -1, -1 };
	size_t len;
	pid_t pid;
	int status;
	struct berr err;

	if (out && pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		if (out) {
			close(fds[0]);
			close(fds[1]);
		}
		return -1;
	}
	if (pid == 0) {
		if (out && dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, " !     %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (out) {
		close(fds[1]);
		if (read_fd_max(fds[0], 1 << 20, out, &len, &err) < 0)
			*out = NULL;
		close(fds[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ~/.ssh, made (0700, the user's) when missing. */
static int ssh_dir(char **dir, struct berr *err)
{
	*dir = gitd_ssh_dir();
	if (!is_dir(*dir)) {
		if (mkdir_p(*dir, 0700, err) < 0)
			return -1;
		gitd_give_to_user(*dir);
	}
	return 0;
}

/* git:allow-host HOST[:PORT]: the host's keys, as ssh-keyscan finds them,
 * appended to known_hosts (as Dokku does: a second call adds them again). All
 * key types, not only rsa as Dokku asks for: git:sync's ssh may be offered
 * any of them. */
int cmd_git_allow_host(int argc, char **argv)
{
	autofree char *dir = NULL;
	autofree char *path = NULL;
	autofree char *host = NULL;
	autofree char *keys = NULL;
	autofree char *found = NULL;
	autoclose int fd = -1;
	const char *colon;
	char *port = NULL;
	char *scan[8];
	size_t n = 0, k = 0;
	struct berr err;
	int r;

	if (argc < 2 || !argv[1][0])
		return cmd_fail("Please supply a git host");
	if (argc > 2)
		return cmd_fail("Usage: %s git:allow-host <host>", cmd_name);
	host = xstrdup(argv[1]);
	colon = strchr(host, ':');
	if (colon && !strchr(colon + 1, ':') && colon[1] &&
	    strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
		port = (char *)colon + 1;
		host[colon - host] = '\0';
	}
	if (host[0] == '-' || gitd_netrc_value_check("host", host, &err) < 0)
		return cmd_fail("Invalid host: %s", argv[1]);
	scan[k++] = "ssh-keyscan";
	scan[k++] = "-T";
	scan[k++] = "10";
	if (port) {
		scan[k++] = "-p";
		scan[k++] = port;
	}
	scan[k++] = host;
	scan[k] = NULL;
	r = run(scan, &keys);
	if (r < 0)
		return cmd_fail("ssh-keyscan %s: %s", host, strerror(errno));
	/* Only key lines: "# host:22 SSH-2.0-..." comments go. */
	found = xstrdup("");
	for (char *line = keys ? strtok(keys, "\n") : NULL; line; line = strtok(NULL, "\n")) {
		char *next;

		if (!line[0] || line[0] == '#')
			continue;
		next = xasprintf("%s%s\n", found, line);
		free(found);
		found = next;
		n++;
	}
	if (n == 0)
		return cmd_fail("No host key found for %s: ssh-keyscan got no answer", argv[1]);
	if (ssh_dir(&dir, &err) < 0)
		return cmd_fail("%s", err.msg);
	path = xasprintf("%s/known_hosts", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return cmd_fail("open %s: %s", path, strerror(errno));
	if (write_all(fd, found, strlen(found), path, &err) < 0 || fsync(fd) < 0)
		return cmd_fail("%s", err.msg);
	gitd_give_to_user(path);
	ui_step("%s added to known hosts", argv[1]);
	return 0;
}

static char *deploy_key(const char *dir, const char *suffix)
{
	static const char *const names[] = { "id_ed25519", "id_rsa" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *path = xasprintf("%s/%s%s", dir, names[i], suffix);

		if (path_exists(path))
			return path;
		free(path);
	}
	return NULL;
}

int cmd_git_generate_deploy_key(int argc, char **argv)
{
	autofree char *dir = NULL;
	autofree char *key = NULL;
	autofree char *pub = NULL;
	autofree char *found = NULL;
	autofree char *comment = NULL;
	char host[256] = "localhost";
	struct berr err;
	int r;

	(void)argv;
	if (argc > 1)
		return cmd_fail("Usage: %s git:generate-deploy-key", cmd_name);
	if (ssh_dir(&dir, &err) < 0)
		return cmd_fail("%s", err.msg);
	found = deploy_key(dir, ".pub");
	if (found) {
		ui_warn("A deploy key already exists for this host");
		return 0;
	}
	gethostname(host, sizeof(host) - 1);
	comment = xasprintf("%s@%s", cmd_name, host);
	key = xasprintf("%s/id_ed25519", dir);
	pub = xasprintf("%s.pub", key);
	{
		char *keygen[] = { "ssh-keygen", "-t", "ed25519", "-C", comment, "-N", "", "-f", key, NULL };

		r = run(keygen, NULL);
	}
	if (r != 0)
		return cmd_fail("ssh-keygen failed (exit %d)", r);
	gitd_give_to_user(key);
	gitd_give_to_user(pub);
	return 0;
}

int cmd_git_public_key(int argc, char **argv)
{
	autofree char *dir = gitd_ssh_dir();
	autofree char *path = deploy_key(dir, ".pub");
	autofree char *user = gitd_user_name();
	autofree char *text = NULL;
	size_t len;
	struct berr err;

	(void)argv;
	if (argc > 1)
		return cmd_fail("Usage: %s git:public-key", cmd_name);
	if (!path) {
		ui_warn("There is no deploy key associated with the %s user.", user);
		ui_warn("Generate an ssh key with the following command:");
		ui_warn("  %s git:generate-deploy-key", cmd_name);
		return cmd_fail("As an alternative, configure the netrc authentication via the git:auth command");
	}
	if (read_file(path, &text, &len, &err) < 0)
		return cmd_fail("%s", err.msg);
	fwrite(text, 1, len, stdout);
	return 0;
}
