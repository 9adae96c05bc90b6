/* Answers to requests (reply.h). */
#include "reply.h"

#include <stddef.h>

struct crp_reply
crp_reply_take(struct crp_reply *from)
{
	struct crp_reply r = *from;

	from->ops = NULL;
	from->state = NULL;
	return r;
}

void
crp_reply_release(struct crp_reply *r)
{
	struct crp_reply gone = crp_reply_take(r);

	if (gone.ops != NULL)
		gone.ops->release(gone.state);
}
