#!/bin/sh
# LOG_COMPILER for Criterion test binaries: run one with its TAP report on stdout.
test_binary=$1
shift
exec "$test_binary" --tap=- "$@"
