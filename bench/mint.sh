#!/usr/bin/env bash
# ndes-bench mint against a fresh ndes-cloud-sim (docs/cloud-sim.md,
# "Minting"): the emulator with the example tenant on ephemeral ports, one
# connector registered with ndes-connector (its CRP key: RSA-2048, as the
# connector makes it), then `ndes-bench mint` with the arguments given
# (e.g. --seconds 5 --clients 16).  Run from the build folder:
#   bash ../bench/mint.sh --seconds 5
set -euo pipefail
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/lib/connector-env.sh"
ce_setup
trap ce_cleanup EXIT
start_cloud
conn_config
register
# Alice's iPhone, the example's Wi-Fi profile
"$top_builddir/bench/ndes-bench" mint --admin-port "$ADMIN_PORT" --emulator-pid "$CLOUD_PID" --body \
    '{"device":"0b7c3f52-8e41-4a5d-9c16-2f7e8d9a1b30","profile":"Contoso Wi-Fi User (iOS)","user":"alice@contoso.com"}' \
    "$@"
