/* Random identifiers (uuid.h). */
#include "uuid.h"

#include <systemd/sd-id128.h>

int
ndes_uuid4(char out[NDES_UUID_LEN + 1])
{
	sd_id128_t id;

	/* sd_id128_randomize sets the version (4) and variant bits */
	if (sd_id128_randomize(&id) < 0)
		return -1;
	sd_id128_to_uuid_string(id, out);
	return 0;
}
