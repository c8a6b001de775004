/* upload_pack.c - the server side of `git fetch` and `git clone`. */
#include "gitd/internal.h"

int gitd_upload_pack(const struct gitd_options *o, const char *app, struct berr *err)
{
	(void)o;
	return berr_fail(err, "fetching %s is not supported yet", app);
}
