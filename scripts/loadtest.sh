#!/usr/bin/env bash
# Load test of `latentty serve` on loopback (bounded: about 3 minutes, ~20,000 requests).
# Usage: scripts/loadtest.sh [path/to/latentty]   (default: the release build if there is one, else debug)
# Prints Markdown for docs/RELIABILITY.md; the server's access log goes to a temporary file.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-$( [ -x .build/release/latentty ] && echo .build/release/latentty || echo .build/debug/latentty )}
log=$(mktemp /tmp/latentty-loadtest.XXXXXX)
"$binary" serve --host 127.0.0.1 --port 0 --engine approx --log-format json 2>"$log" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    port=$(grep -o '127\.0\.0\.1:[0-9]*/ (engine' "$log" | head -1 | sed 's/.*:\([0-9]*\)\/.*/\1/') || true
    [ -n "${port:-}" ] && break
    sleep 0.1
done
[ -n "${port:-}" ] || { echo "serve did not start:"; cat "$log"; exit 1; }
echo "# latentty serve load test — $(date -u '+%Y-%m-%d %H:%M UTC'), $binary, $(nproc) cores, engine approx"
echo
timeout 600 python3 scripts/loadtest.py --port "$port" --pid "$server" "${@:2}"
kill -TERM $server
wait $server && echo "serve exited 0 after SIGTERM" || echo "serve exited $?"
trap - EXIT
echo "access log: $(wc -l <"$log") lines in $log"
