/* Random identifiers: version 4 UUIDs (RFC 9562), lower-case text with
 * dashes, from libsystemd's sd_id128_randomize() (the kernel's random
 * source).  For client-request-id headers, notification IDs, the cloud
 * emulator's request and queue IDs. */
#ifndef NDES_UUID_H
#define NDES_UUID_H

/* "xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx" */
#define NDES_UUID_LEN 36

/* A fresh UUID in out (NUL-terminated); 0, or -1 (out untouched) when no
 * random bytes could be had. */
int ndes_uuid4(char out[NDES_UUID_LEN + 1]);

#endif
