/*
 * gen-catalog: writes the journald catalogs from the events table.
 *	gen-catalog en		ndes.catalog (English)
 *	gen-catalog ja		ndes.ja.catalog (Japanese; the file name gives the language)
 *	gen-catalog markdown	the tables of docs/events.md
 * One catalog entry per event (its MESSAGE_ID), explaining the event and
 * every diagnostic code it may carry; journalctl -x fills in the code the
 * entry actually carries (@NDES_DIAG_CODE@).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "events.h"

#define WRAP_WIDTH	76

struct lang {
	const char *this_code, *codes_header, *extension;
	bool ja;
};

static const struct lang lang_en = {
	"The diagnostic code of this event is @NDES_DIAG_CODE@ (@NDES_DIAG_NAME@).",
	"Diagnostic codes this event may carry:",
	" (project extension)",
	false,
};

static const struct lang lang_ja = {
	"このイベントの診断コードは @NDES_DIAG_CODE@ (@NDES_DIAG_NAME@) です。",
	"このイベントが持つ可能性のある診断コード:",
	" (本プロジェクト独自の拡張)",
	true,
};

/* Display width of the UTF-8 character at s (CJK: 2), its length in *len. */
static int
char_width(const char *s, size_t *len)
{
	unsigned char c = (unsigned char)s[0];

	if (c < 0x80)
		*len = 1;
	else if (c < 0xe0)
		*len = 2;
	else if (c < 0xf0)
		*len = 3;
	else
		*len = 4;
	if (strnlen(s, *len) < *len)
		*len = strlen(s);
	return *len >= 3 ? 2 : 1;
}

static bool
starts_with_any(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strncmp(s, *set, strlen(*set)) == 0)
			return true;
	return false;
}

/* Japanese line-breaking basics: no line starts with a closing mark and none
 * ends with an opening one; between wide characters a break is allowed. */
static bool
may_break_before(const char *prev, const char *p)
{
	static const char *const no_start[] = { "、", "。", "，", "．", "）", "」", "』",
		"】", "ー", "・", "：", ")", ",", ".", ":", ";", NULL };
	static const char *const no_end[] = { "（", "「", "『", "【", "(", NULL };
	size_t len;

	if (*p == ' ')
		return true;
	if (char_width(p, &len) < 2 && char_width(prev, &len) < 2)
		return false;
	return !starts_with_any(p, no_start) && !starts_with_any(prev, no_end);
}

/* Where the line starting at line must end (NULL: it fits). */
static const char *
wrap_end(const char *line, size_t width)
{
	const char *p = line, *prev = NULL, *brk = NULL;
	size_t w = 0, len;
	int cw;

	while (*p != '\0') {
		cw = char_width(p, &len);
		if (prev != NULL && may_break_before(prev, p))
			brk = p;
		if (w + (size_t)cw > width && brk != NULL)
			return brk;
		w += (size_t)cw;
		prev = p;
		p += len;
	}
	return NULL;
}

static void
put_wrapped(const char *text, const char *indent)
{
	const char *line = text, *end;
	size_t width = WRAP_WIDTH - strlen(indent), n;

	while (*line != '\0') {
		end = wrap_end(line, width);
		n = end != NULL ? (size_t)(end - line) : strlen(line);
		while (n > 0 && line[n - 1] == ' ')
			n--;
		printf("%s%.*s\n", indent, (int)n, line);
		if (end == NULL)
			break;
		line = end;
		while (*line == ' ')
			line++;
	}
}

static void
put_entry(const struct ndes_event_info *ei, const struct lang *l)
{
	const struct ndes_diag_info *di;
	size_t i;

	printf("-- %s\n", ei->message_id);
	printf("Subject: %d %s: %s\n", ei->id, ei->name, l->ja ? ei->subject_ja : ei->subject_en);
	printf("Defined-By: ndes-linux\n\n");
	put_wrapped(l->ja ? ei->text_ja : ei->text_en, "");
	printf("\n");
	put_wrapped(l->this_code, "");
	printf("\n%s\n", l->codes_header);
	for (i = 0; i < ei->ncodes; i++) {
		if ((di = ndes_diag_info(ei->codes[i])) == NULL)
			continue;	/* the unit tests make sure this never happens */
		printf("  0x%08X %s%s\n", di->code, di->name,
		    di->origin == NDES_DIAG_ORIGIN_EXTENSION ? l->extension : "");
		put_wrapped(l->ja ? di->text_ja : di->text_en, "      ");
	}
	printf("\n");
}

static void
put_catalog(const struct lang *l)
{
	size_t ev;

	printf("# journald catalog of ndes-linux (%s), generated from common/events.def\n"
	    "# by gen-catalog: do not edit.  See docs/events.md.\n\n",
	    l->ja ? "Japanese" : "English");
	for (ev = 0; ev < NDES_EVENT_COUNT; ev++)
		put_entry(ndes_event_info((enum ndes_event)ev), l);
}

static const char *
priority_name(int prio)
{
	switch (prio) {
	case LOG_ERR: return "err (3)";
	case LOG_WARNING: return "warning (4)";
	case LOG_NOTICE: return "notice (5)";
	case LOG_INFO: return "info (6)";
	default: return "?";
	}
}

static void
put_markdown(void)
{
	const struct ndes_event_info *ei;
	const struct ndes_diag_info *di;
	size_t ev, i;

	printf("| event ID | name | PRIORITY | MESSAGE_ID | diagnostic codes it may carry |\n"
	    "| --- | --- | --- | --- | --- |\n");
	for (ev = 0; ev < NDES_EVENT_COUNT; ev++) {
		ei = ndes_event_info((enum ndes_event)ev);
		printf("| %d | %s | %s | `%s` |", ei->id, ei->name, priority_name(ei->priority),
		    ei->message_id);
		for (i = 0; i < ei->ncodes; i++)
			printf("%s0x%08X", i > 0 ? ", " : " ", ei->codes[i]);
		printf(" |\n");
	}
	printf("\n| code | name | origin | meaning |\n| --- | --- | --- | --- |\n");
	for (i = 0; (di = ndes_diag_at(i)) != NULL; i++)
		printf("| 0x%08X | %s | %s | %s |\n", di->code, di->name,
		    di->origin == NDES_DIAG_ORIGIN_REFERENCE ? "reference" : "extension",
		    di->text_en);
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "en") == 0)
		put_catalog(&lang_en);
	else if (argc == 2 && strcmp(argv[1], "ja") == 0)
		put_catalog(&lang_ja);
	else if (argc == 2 && strcmp(argv[1], "markdown") == 0)
		put_markdown();
	else {
		fprintf(stderr, "usage: gen-catalog en|ja|markdown\n");
		return 2;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
