#!/bin/bash
# ndes-cloud-sim serve under valgrind memcheck (under LeakSanitizer in a
# sanitizer build): requests any TLS client can send before
# authentication, refused while the certificate requests are decoded
# (base64 that decodes to zero bytes: whitespace, empty), then SIGTERM.  The
# process must exit 0: no definite leak.  Prints TAP.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}"
SIM="$top_builddir/cloudsim/ndes-cloud-sim"
command -v curl >/dev/null 2>&1 || { echo "1..0 # SKIP curl is not installed"; exit 0; }
if nm "$SIM" 2>/dev/null | grep -q __asan_init; then
	run=""		# LeakSanitizer checks at exit
elif command -v valgrind >/dev/null 2>&1; then
	run="valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=97"
else
	echo "1..0 # SKIP valgrind not installed (and not a sanitizer build)"
	exit 0
fi
dir=$(mktemp -d /tmp/cloudsim-leaks-XXXXXX)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
. "$top_srcdir/tests/lib/tap.sh"
serve() {
	rm -f "$dir/state/ports.json"
	$1 "$SIM" serve --config "$dir/service.yaml" --listen-port 0 --admin-port 0 \
	    >"$dir/serve.out" 2>"$dir/serve.err" &
	pid=$!
	i=0
	while [ ! -s "$dir/state/ports.json" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	port=$(sed -n 's/.*"listenPort": *\([0-9]*\).*/\1/p' "$dir/state/ports.json")
}

echo 1..3
cp "$top_srcdir/tests/data/cloudsim/service.yaml" "$dir/service.yaml"
"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=Leak CA" \
	-keyout "$dir/ca.key" -out "$dir/ca.pem" -days 3650 2>/dev/null
# a first start makes the emulator's PKI (key generation is slow under valgrind)
serve ""
kill "$pid"; wait "$pid"; pid=
serve "$run"
bad=0
for csr in ' ' '' '  ' '\n'; do
	for i in 1 2 3 4 5; do
		curl -s -k -o "$dir/out" -w '%{http_code}\n' --max-time 20 \
		    -d "{\"token\":\"t\",\"name\":\"n\",\"clientCsr\":\"$csr\",\"crpCsr\":\"$csr\"}" \
		    "https://127.0.0.1:$port/connectors/register" >"$dir/code"
		grep -qx 400 "$dir/code" && grep -q 'clientCsr' "$dir/out" || bad=$((bad + 1))
	done
done
check "20 registrations with CSRs that decode to zero bytes: 400 naming clientCsr" \
    test "$bad" -eq 0
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "the emulator stops on SIGTERM" test "$rc" -ne 137
check "no definite leak (exit $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || sed 's/^/# /' "$dir/serve.err" | grep -v '^# ndes-cloud-sim:' | head -40
exit 0
