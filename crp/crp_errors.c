/* crpd's current errors (crp_errors.h). */
#include "crp_errors.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ipc.h"
#include "lines.h"

#define CRP_ERROR_MESSAGE_MAX 256

struct crp_error {
	int64_t	 since;
	int64_t	 last;
	char	 message[CRP_ERROR_MESSAGE_MAX];
};

static const char *const crp_activity_names[CRP_ACTIVITY_COUNT] = {
	[CRP_ACTIVITY_STORE] = "store",
	[CRP_ACTIVITY_LINK] = "link",
};

static pthread_mutex_t errors_lock = PTHREAD_MUTEX_INITIALIZER;
static struct crp_error errors[CRP_ACTIVITY_COUNT];		/* under errors_lock */
static atomic_bool errors_current[CRP_ACTIVITY_COUNT];	/* written under errors_lock */

void
crp_error_note(enum crp_activity a, const char *fmt, ...)
{
	char msg[CRP_ERROR_MESSAGE_MAX];
	int64_t now = (int64_t)time(NULL);
	size_t bad;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!ndes_utf8_valid((const unsigned char *)msg, strlen(msg), &bad))
		msg[bad] = '\0';	/* a character cut by the bound, or not text */
	pthread_mutex_lock(&errors_lock);
	if (!atomic_load(&errors_current[a]))
		errors[a].since = now;
	errors[a].last = now;
	memcpy(errors[a].message, msg, sizeof(msg));
	atomic_store(&errors_current[a], true);
	pthread_mutex_unlock(&errors_lock);
}

void
crp_error_clear(enum crp_activity a)
{
	if (!atomic_load_explicit(&errors_current[a], memory_order_relaxed))
		return;
	pthread_mutex_lock(&errors_lock);
	atomic_store(&errors_current[a], false);
	pthread_mutex_unlock(&errors_lock);
}

struct ndes_ipc_msg *
crp_errors_status_reply(uint32_t request_id)
{
	struct crp_error copy[CRP_ACTIVITY_COUNT];
	struct ndes_ipc_status_error out[CRP_ACTIVITY_COUNT];
	size_t n = 0;

	pthread_mutex_lock(&errors_lock);
	for (int a = 0; a < CRP_ACTIVITY_COUNT; a++) {
		if (!atomic_load(&errors_current[a]))
			continue;
		copy[n] = errors[a];
		out[n] = (struct ndes_ipc_status_error){ .activity = crp_activity_names[a],
		    .since = copy[n].since, .last = copy[n].last, .message = copy[n].message };
		n++;
	}
	pthread_mutex_unlock(&errors_lock);
	return ndes_ipc_msg_new_status_reply_errors(request_id, out, n);
}
