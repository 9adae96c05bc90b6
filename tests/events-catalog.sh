#!/bin/sh
# The generated journald catalogs, for real: install copies of the built
# ndes.catalog / ndes.ja.catalog, journalctl --update-catalog, emit every
# event into a real journald and check that journalctl -x explains each one,
# in English and under a Japanese locale.  Leaves the system as it found it
# (copies removed, catalog database rebuilt or removed again).  Prints TAP.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${JOURNALCTL:=journalctl}"

en=$top_builddir/common/ndes.catalog
ja=$top_builddir/common/ndes.ja.catalog
gen=$top_builddir/common/gen-catalog
emit=$top_builddir/tests/test_events_emit
catdir=/usr/lib/systemd/catalog
database=/var/lib/systemd/catalog/database
tmp=$(mktemp -d /tmp/ndes-events-catalog.XXXXXX) || exit 1
tag=catalog-$$-$(date +%s)
installed=
had_database=

. "$top_srcdir/tests/lib/tap.sh"
skip_rest() {
	while [ "$tap_n" -lt 10 ]; do skip "$*"; done
	exit 0
}

cleanup() {
	if [ -n "$installed" ]; then
		rm -f "$catdir/ndes-check-$$.catalog" "$catdir/ndes-check-$$.ja.catalog"
		if [ -n "$had_database" ]; then
			"$JOURNALCTL" --update-catalog >/dev/null 2>&1
		else
			rm -f "$database"
		fi
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "1..10"

# 1-2: the catalogs themselves
ids() { sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$1"; }
ids "$en" >"$tmp/ids.en"
ids "$ja" >"$tmp/ids.ja"
check "both catalogs have one entry per event, same MESSAGE_IDs" \
	sh -c '[ "$(wc -l <"$1")" -eq 22 ] && cmp -s "$1" "$2" && [ "$(sort -u "$1" | wc -l)" -eq 22 ]' \
	_ "$tmp/ids.en" "$tmp/ids.ja"

"$gen" markdown >"$tmp/table.md"
sed -n '/^<!-- gen-catalog markdown: begin -->$/,/^<!-- gen-catalog markdown: end -->$/p' \
	"$top_srcdir/docs/events.md" | sed '1d;$d' >"$tmp/docs.md"
check "docs/events.md carries the tables gen-catalog writes" cmp -s "$tmp/table.md" "$tmp/docs.md"

# 3: a journald
bash "$top_srcdir/tests/lib/journal.sh" ensure
rc=$?
[ "$rc" -eq 77 ] && skip_rest "no journald here and none can be started"
check "a journald answers" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || skip_rest "no journald"

# 4-5: journalctl --update-catalog with the built catalogs
if [ "$(id -u)" -ne 0 ] || [ ! -w "$catdir" ]; then
	skip_rest "installing catalogs into $catdir needs root"
fi
[ -e "$database" ] && had_database=1
installed=1
cp "$en" "$catdir/ndes-check-$$.catalog" && cp "$ja" "$catdir/ndes-check-$$.ja.catalog"
"$JOURNALCTL" --update-catalog >"$tmp/update.out" 2>&1
rc=$?
check "journalctl --update-catalog takes the catalogs without complaint" \
	sh -c '[ "$1" -eq 0 ] && ! grep -q ndes-check "$2"' _ "$rc" "$tmp/update.out"
"$JOURNALCTL" --list-catalog >"$tmp/list.out" 2>&1
check "journalctl --list-catalog lists every MESSAGE_ID" \
	sh -c 'while read -r id; do grep -q "^$id " "$2" || exit 1; done <"$1"' _ "$tmp/ids.en" "$tmp/list.out"

# 6-7: English
NDES_EVENTS_SINK=journal "$emit" all "$tag" &&
	NDES_EVENTS_SINK=journal "$emit" one 20502 0x410 "$tag-one" "challenge unreadable"
"$JOURNALCTL" --sync >/dev/null 2>&1
journal_x() { # match locale-assignment...
	m=$1
	shift
	env -u LC_ALL -u LC_MESSAGES -u LANGUAGE "$@" "$JOURNALCTL" --no-pager -x "$m" >"$tmp/x.out" 2>&1
}
subjects() { sed -n 's/^Subject: //p' "$1"; }
all_subjects_shown() { # catalog output
	subjects "$1" >"$tmp/subjects"
	[ "$(wc -l <"$tmp/subjects")" -eq 22 ] || return 1
	while IFS= read -r s; do grep -qF "Subject: $s" "$2" || return 1; done <"$tmp/subjects"
}
journal_x NDES_TRANSACTION_ID="$tag" LANG=C.UTF-8
check "journalctl -x explains every event in English" all_subjects_shown "$en" "$tmp/x.out"
journal_x NDES_TRANSACTION_ID="$tag-one" LANG=C.UTF-8
check "journalctl -x: 20502 with its code, in English" sh -c '
	grep -qF "CRPVerifyMetric_Failure (20502) 0x00000410 CRPSCEPDeserialize_Failed: challenge unreadable" "$1" &&
	grep -qF "Subject: 20502 CRPVerifyMetric_Failure: The Certificate Registration Point could not verify a client'"'"'s challenge" "$1" &&
	grep -qF "The diagnostic code of this event is 0x00000410 (CRPSCEPDeserialize_Failed)." "$1" &&
	grep -qF "0x00000408 CRPSCEPCert_NotFound" "$1" &&
	grep -qF "0x0000100E NDES_ChallengeCertificates_Embedded (project extension)" "$1" &&
	grep -qF "0x00001017 NDES_ChallengeText_NotBase64 (project extension)" "$1"' _ "$tmp/x.out"

# 8-9: Japanese.  journalctl picks the catalog language from LC_MESSAGES as
# setlocale() reports it, so the locale must exist: use the system's
# ja_JP.UTF-8, else compile one into a private LOCPATH (package "locales").
jaenv=
if locale -a 2>/dev/null | grep -qix 'ja_JP\.utf-\?8'; then
	jaenv="LANG=ja_JP.UTF-8"
elif [ -e /usr/share/i18n/locales/ja_JP ] && command -v localedef >/dev/null 2>&1; then
	# localedef may warn (exit 1) and still write the locale
	localedef -i ja_JP -f UTF-8 "$tmp/ja_JP.UTF-8" >/dev/null 2>&1
	[ -e "$tmp/ja_JP.UTF-8/LC_MESSAGES" ] && jaenv="LOCPATH=$tmp LANG=ja_JP.UTF-8"
fi
if [ -z "$jaenv" ]; then
	skip "no ja_JP.UTF-8 locale (install the Debian package locales)"
	skip "no ja_JP.UTF-8 locale (install the Debian package locales)"
else
	# shellcheck disable=SC2086
	journal_x NDES_TRANSACTION_ID="$tag" $jaenv
	check "journalctl -x explains every event in Japanese ($jaenv)" all_subjects_shown "$ja" "$tmp/x.out"
	# shellcheck disable=SC2086
	journal_x NDES_TRANSACTION_ID="$tag-one" $jaenv
	check "journalctl -x: 20502 with its code, in Japanese" sh -c '
		grep -qF "Subject: 20502 CRPVerifyMetric_Failure: 証明書登録ポイント (CRP) でチャレンジを検証できませんでした" "$1" &&
		grep -qF "このイベントの診断コードは 0x00000410 (CRPSCEPDeserialize_Failed) です。" "$1" &&
		grep -qF "0x00000408 CRPSCEPCert_NotFound" "$1" &&
		grep -qF "0x0000100E NDES_ChallengeCertificates_Embedded (本プロジェクト独自の拡張)" "$1" &&
		grep -qF "0x00001017 NDES_ChallengeText_NotBase64 (本プロジェクト独自の拡張)" "$1"' _ "$tmp/x.out"
fi

# 10: leave the system as found
cleanup
installed=
# only this run's copies: suites of other working copies may run at the same time
check "test copies removed from $catdir" \
	sh -c '! ls "$1"/ndes-check-"$2".* >/dev/null 2>&1' _ "$catdir" "$$"
