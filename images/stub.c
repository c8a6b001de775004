#include "images/internal.h"
int stack_create_debian(const char *name, const struct debian_options *opts,
			const struct images_progress *progress, struct berr *err)
{ (void)name; (void)opts; (void)progress; return berr_fail(err, "todo"); }
