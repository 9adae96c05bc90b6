#!/usr/bin/env bash
# Writes the generated seeds of fuzz/corpus/ (docs/fuzzing.md): those made
# from the example configurations and with the test keys of fuzz/keys/
# (CSRs, sealed challenges, certificates, CMS).  The hand-written seeds and
# every crash-* file are committed as they are and left alone.
#   fuzz/make-corpus.sh [TARGET...]     (default: every generated one)
# Needs openssl (3.0 or later) and jq.  Run it from anywhere; commit what
# changes.  Signatures and envelopes are randomised, so a rerun rewrites
# those files with other bytes of the same meaning.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
keys=$top/fuzz/keys
corpus=$top/fuzz/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The claims instant of fuzz/fuzz.h (FUZZ_NOW): issued an hour before
# 2027-01-01T00:00:00Z, valid a year.
IAT=1798758000
EXP=1830294000
TENANT=8a1f2c3d-0000-4000-8000-00000000fuzz

# seed TARGET NAME: stdin to fuzz/corpus/TARGET/NAME
seed() {
	mkdir -p "$corpus/$1"
	cat >"$corpus/$1/$2"
}

# ---- config: the program letter, then the file -----------------------------
gen_config() {
	{ printf c; cat etc/crpd.example.yaml; } | seed config crpd-example.yaml
	{ printf n; cat etc/connector.example.yaml; } | seed config connector-example.yaml
	{ printf s; cat etc/cloud-sim.example.yaml; } | seed config cloud-sim-example.yaml
	# The policy example of docs/policy.md, section 2.
	{ printf p; sed -n '/^```yaml$/,/^```$/p' docs/policy.md | sed '1d;$d'; } |
		seed config policy-example.yaml
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config)
for t in "${targets[@]}"; do
	"gen_$t"
	echo "make-corpus: $t: $(ls "$corpus/$t" | wc -l) files"
done
