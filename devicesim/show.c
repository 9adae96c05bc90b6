/* ndes-device-sim show: each device profile of the state folder, one line
 * each: device, profile, state, thumbprint, notAfter, renewals, and
 * whether a renewal is due by the device's clock. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsim.h"
#include "dsim_cli.h"

static const char *
info_str(json_t *info, const char *key)
{
	const char *s = json_string_value(json_object_get(info, key));

	return s && *s ? s : "-";
}

static void
show_one(const char *root, const char *dev, const char *prof)
{
	struct dsim_state st;
	char err[DSIM_ERR_MAX], why[256] = "no certificate";
	const char *due = "-";
	int pct;

	if (dsim_state_open(root, dev, prof, &st, err, sizeof(err)) != 0) {
		printf("%s\t%s\terror: %s\n", dev, prof, err);
		return;
	}
	pct = (int)json_integer_value(json_object_get(st.info, "renewalThresholdPercent"));
	if (st.cert != NULL)
		due = dsim_renewal_due(st.cert, pct > 0 ? pct : 20, dsim_now(), why, sizeof(why)) ?
		    "due" : "not-due";
	printf("%s\t%s\t%s\t%s\t%s\trenewals=%lld\trenewal %s: %s\n", info_str(st.info, "deviceId"),
	    info_str(st.info, "profile"), info_str(st.info, "state"),
	    info_str(st.info, "thumbprint"), info_str(st.info, "notAfter"),
	    (long long)json_integer_value(json_object_get(st.info, "renewals")), due, why);
	dsim_state_clear(&st);
}

static int
show_names(const char *dir, char ***out)
{
	struct dirent **list = NULL;
	int n = scandir(dir, &list, NULL, alphasort), k = 0;

	*out = calloc(n > 0 ? (size_t)n : 1, sizeof(char *));
	for (int i = 0; i < n; i++) {
		if (list[i]->d_name[0] != '.' && list[i]->d_type == DT_DIR && *out != NULL)
			(*out)[k++] = strdup(list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return k;
}

int
dsim_show(const char *root, const char *device, const char *profile)
{
	char **devs, **profs, *path, want_dev[256] = "", want_prof[256] = "";
	int nd = show_names(root, &devs), np;

	if (device)
		dsim_state_file_name(device, want_dev, sizeof(want_dev));
	if (profile)
		dsim_state_file_name(profile, want_prof, sizeof(want_prof));
	printf("device\tprofile\tstate\tthumbprint\tnotAfter\trenewals\trenewal\n");
	for (int i = 0; i < nd; i++) {
		if ((!device || strcmp(devs[i], want_dev) == 0) &&
		    asprintf(&path, "%s/%s", root, devs[i]) >= 0) {
			np = show_names(path, &profs);
			for (int j = 0; j < np; j++) {
				if (!profile || strcmp(profs[j], want_prof) == 0)
					show_one(root, devs[i], profs[j]);
				free(profs[j]);
			}
			free(profs);
			free(path);
		}
		free(devs[i]);
	}
	free(devs);
	return nd < 0 ? DSIM_EXIT_FAILED : DSIM_EXIT_OK;
}
