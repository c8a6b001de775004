/* home.c - where the berth user keeps what ssh and git need: authorized_keys
 * (the keys that may log in), and for fetching from other hosts (git:sync) the
 * deploy key, known_hosts and .netrc, as a Dokku host keeps them in ~dokku.
 *
 * The berth user's ~/.ssh is the directory of its authorized_keys
 * ($BERTH_AUTHORIZED_KEYS, else $BERTH_ROOT/.ssh/authorized_keys: berth init
 * makes BERTH_ROOT the user's home), and its home is the parent of that
 * directory when it is named .ssh, else BERTH_ROOT. The user is whoever owns
 * ~/.ssh (berth init gives it to the user; sshd insists). */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/paths.h"
#include "gitd/gitd.h"

char *gitd_authorized_keys_path(void)
{
	const char *env = getenv("BERTH_AUTHORIZED_KEYS");

	if (env && *env)
		return xstrdup(env);
	return xasprintf("%s/.ssh/authorized_keys", berth_root());
}

char *gitd_ssh_dir(void)
{
	char *path = gitd_authorized_keys_path();
	char *slash = strrchr(path, '/');

	if (!slash) {
		free(path);
		return xasprintf("%s/.ssh", berth_root());
	}
	*slash = '\0';
	if (!*path) {
		free(path);
		return xstrdup("/");
	}
	return path;
}

char *gitd_home_dir(void)
{
	autofree char *ssh = gitd_ssh_dir();
	char *slash = strrchr(ssh, '/');

	if (!slash || strcmp(slash, "/.ssh") || slash == ssh)
		return xstrdup(berth_root());
	return xstrndup(ssh, (size_t)(slash - ssh));
}

void gitd_home_owner(uid_t *uid, gid_t *gid)
{
	autofree char *ssh = gitd_ssh_dir();
	autofree char *home = gitd_home_dir();
	struct stat st;

	*uid = 0;
	*gid = 0;
	if (stat(ssh, &st) == 0 || stat(home, &st) == 0) {
		*uid = st.st_uid;
		*gid = st.st_gid;
	}
}

char *gitd_user_name(void)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	gitd_home_owner(&uid, &gid);
	pw = getpwuid(uid);
	return xstrdup(pw && uid != 0 ? pw->pw_name : "berth");
}

void gitd_give_to_user(const char *path)
{
	uid_t uid;
	gid_t gid;

	gitd_home_owner(&uid, &gid);
	/* Best effort, as for authorized_keys: a file root keeps is still read
	 * by berth, which runs as root. */
	if (chown(path, uid, gid) < 0)
		return;
}
