/* The notification outbox in crpd's state.db: notifications wait here,
 * durably, until the connector acknowledges that it stored them. */
#ifndef CRP_OUTBOX_H
#define CRP_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

struct ndes_db;

struct crp_outbox_item {
	int64_t	 seq;			/* order of insertion */
	char	*notification_id;	/* UUID, stable across retries */
	char	*kind;			/* successNotification | failureNotification */
	char	*body;			/* the JSON object */
	/* for the events: */
	char	*transaction_id, *challenge_id, *device_id, *user_id;
	char	*thumbprint, *serial_number;
};

/* In the caller's transaction.  Strings borrowed. */
int	crp_outbox_insert(struct ndes_db *db, const struct crp_outbox_item *it, int64_t now);
/* Up to limit items with seq > after_seq, oldest first. */
int	crp_outbox_fetch(struct ndes_db *db, int64_t after_seq, size_t limit,
	    struct crp_outbox_item **items, size_t *n);
/* Delete the item (the connector acknowledged it): 1 with *out filled, 0
 * when there is no such item (already deleted), -1. */
int	crp_outbox_take(struct ndes_db *db, const char *notification_id,
	    struct crp_outbox_item *out);
/* Items whose failure has not been reported yet (up to limit), marked
 * reported. */
int	crp_outbox_take_unreported(struct ndes_db *db, size_t limit,
	    struct crp_outbox_item **items, size_t *n);
int	crp_outbox_count(struct ndes_db *db, int64_t *n);
void	crp_outbox_item_clear(struct crp_outbox_item *it);
void	crp_outbox_items_free(struct crp_outbox_item *items, size_t n);

#endif
