#!/usr/bin/env bash
# npm run fuzz [-- --runs N] [--seed S] — the webhook's property-based fuzz tests
# (test/webhook/webhook-fuzz.test.ts) with more generated deliveries than `npm test` runs, from a
# new seed each time unless one is given (a failure prints its seed and the shrunk delivery).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=10000
seed=
usage="usage: npm run fuzz -- [--runs N] [--seed S]"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="${2:-}"; shift 2 || { echo "$usage" >&2; exit 2; } ;;
    --runs=*) runs="${1#*=}"; shift ;;
    --seed) seed="${2:-}"; shift 2 || { echo "$usage" >&2; exit 2; } ;;
    --seed=*) seed="${1#*=}"; shift ;;
    *) echo "fuzz: unknown argument '$1'; $usage" >&2; exit 2 ;;
  esac
done
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then echo "fuzz: --runs must be a whole number above 0, not '$runs'" >&2; exit 2; fi
if [ -n "$seed" ] && ! [[ "$seed" =~ ^-?[0-9]+$ ]]; then echo "fuzz: --seed must be a whole number, not '$seed'" >&2; exit 2; fi

export FUZZ_RUNS="$runs"
if [ -n "$seed" ]; then export FUZZ_SEED="$seed"; fi
exec vitest run test/webhook/webhook-fuzz.test.ts
