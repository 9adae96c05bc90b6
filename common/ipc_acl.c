/* IPC peer authorisation: uid/gid lists checked against SO_PEERCRED and
 * SO_PEERGROUPS. */
#include "ipc_peer.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "ipc_peer_int.h"

static bool
uid_in(const uid_t *list, size_t n, uid_t uid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == uid)
			return true;
	return false;
}

static bool
gid_in(const gid_t *list, size_t n, gid_t gid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == gid)
			return true;
	return false;
}

bool
ndes_ipc_acl_allows(const struct ndes_ipc_acl *acl, uid_t uid, gid_t gid)
{
	if (acl == NULL)
		return false;
	return uid_in(acl->uids, acl->n_uids, uid) || gid_in(acl->gids, acl->n_gids, gid);
}

/* Is one of the supplementary groups of fd's peer in acl->gids? */
static bool
acl_allows_groups(const struct ndes_ipc_acl *acl, int fd)
{
#ifdef SO_PEERGROUPS
	gid_t small[64], *groups = small;
	socklen_t len = sizeof(small);
	bool found = false;
	size_t i;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == -1) {
		if (errno != ERANGE || (groups = malloc(len)) == NULL)
			return false;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == -1) {
			free(groups);
			return false;
		}
	}
	for (i = 0; i < len / sizeof(gid_t) && !found; i++)
		found = gid_in(acl->gids, acl->n_gids, groups[i]);
	if (groups != small)
		free(groups);
	return found;
#else
	(void)acl;
	(void)fd;
	return false;
#endif
}

/* The server's decision for a connected socket with credentials cred. */
bool
ndes_ipc_acl_allows_fd(const struct ndes_ipc_acl *acl, uid_t self, int fd,
    const struct ndes_ipc_cred *cred)
{
	if (cred->uid == self || ndes_ipc_acl_allows(acl, cred->uid, cred->gid))
		return true;
	return acl != NULL && acl->n_gids > 0 && acl_allows_groups(acl, fd);
}

int
ndes_ipc_acl_copy(struct ndes_ipc_acl *dst, const struct ndes_ipc_acl *src)
{
	uid_t *uids = NULL;
	gid_t *gids = NULL;
	size_t nu = src != NULL ? src->n_uids : 0, ng = src != NULL ? src->n_gids : 0;

	if ((nu > 0 && (uids = calloc(nu, sizeof(*uids))) == NULL) ||
	    (ng > 0 && (gids = calloc(ng, sizeof(*gids))) == NULL)) {
		free(uids);
		return -1;
	}
	for (size_t i = 0; i < nu; i++)
		uids[i] = src->uids[i];
	for (size_t i = 0; i < ng; i++)
		gids[i] = src->gids[i];
	dst->uids = uids;
	dst->n_uids = nu;
	dst->gids = gids;
	dst->n_gids = ng;
	return 0;
}

void
ndes_ipc_acl_clear(struct ndes_ipc_acl *acl)
{
	free((void *)acl->uids);
	free((void *)acl->gids);
	acl->uids = NULL;
	acl->gids = NULL;
	acl->n_uids = acl->n_gids = 0;
}
