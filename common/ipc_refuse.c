/* Telling a refused peer why before its connection closes (ipc_peer.h,
 * docs/ipc.md "Refused peers"). */
#include "ipc_peer.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc.h"
#include "ipc_peer_int.h"

/* One ERROR frame with request id 0 (no request of the peer's is answered:
 * the reason precedes any), sent without waiting, then the close.  A peer
 * whose buffer is full gets nothing more: one small send per connection it
 * opened is all it can make the server write. */
void
ndes_ipc_refuse_fd(int fd, uint32_t code, const char *fmt, ...)
{
	struct ndes_ipc_msg *msg;
	const uint8_t *frame;
	char why[NDES_IPC_REFUSAL_MAX];
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if ((msg = ndes_ipc_msg_new_error(0, code, why)) != NULL &&
	    (frame = ndes_ipc_msg_frame(msg, &len)) != NULL)
		(void)send(fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	ndes_ipc_msg_free(msg);
	close(fd);
}
