#!/usr/bin/env bash
# Runs every benchmark of issue 8 and writes docs/PERFORMANCE.md from scratch.
# Usage: bash bench/run.sh   (what `make bench` runs after `make build`)
# Each part is bounded by `timeout`; the whole run takes about 3 minutes. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
load=$(cut -d' ' -f1-3 /proc/loadavg)

[ -x bin/main ] || make build
echo "== package"
make package
echo "== build bench/perf and bench/floor"
go build -o "$out/perf" ./bench/perf
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/floor" ./bench/floor

echo "== go benchmarks"
timeout 240 go test -run '^$' -bench . -benchmem -count 1 ./handler ./internal/reset ./internal/dts ./validate | tee "$out/gobench.txt"

echo "== cold start"
timeout 120 "$out/perf" coldstart -bin bin/main -floor "$out/floor" -n 30 -out "$out"
echo "== warm latency, round trips, RSS"
timeout 150 "$out/perf" warm -bin bin/main -n 500 -out "$out"
echo "== batch against the rate limit"
timeout 120 "$out/perf" batch -bin bin/main -n 50 -out "$out"

mkdir -p docs
"$out/perf" report -dir "$out" -zip dist/main.zip -bin bin/main -load "$load" > docs/PERFORMANCE.md.tmp
printf '\n' >> docs/PERFORMANCE.md.tmp
cat bench/comparisons.md >> docs/PERFORMANCE.md.tmp
mv docs/PERFORMANCE.md.tmp docs/PERFORMANCE.md
echo "wrote docs/PERFORMANCE.md"
