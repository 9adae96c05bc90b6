/* ndes-connector: the one way a command reports its failure (cli.h).  Below
 * cli.c and the commands it dispatches to, which all call it. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>

int
cli_fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ndes-connector: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return code;
}
