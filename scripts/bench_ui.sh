#!/usr/bin/env bash
# Measures the workbench's responsiveness: time to the first frame, and how long a key press takes to
# be handled and redrawn while 8 jobs are in flight (against an endpoint that never answers, so
# they stay in flight). Runs the release build inside tmux; prints a table for docs/BENCHMARKS.md.
#   scripts/bench_ui.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-.build/release/latentty}"
[ -x "$binary" ] || swift build -c release --product latentty >&2
work="$(mktemp -d)"
trap 'for r in 1 2 3; do tmux -L latentty-bench-$r kill-server 2>/dev/null || true; done; kill "$listener" 2>/dev/null || true; rm -rf "$work"' EXIT

# An endpoint that accepts connections and never answers.
python3 - "$work/port" <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
PY
listener=$!
while [ ! -s "$work/port" ]; do sleep 0.05; done
port="$(cat "$work/port")"
mkdir -p "$work/config/latentty"
printf '[presets.sd15]\nconcurrency = 8\n' > "$work/config/latentty/config.toml"

files=()
for _ in 1 2 3 4 5 6 7 8; do files+=("Samples/sd15_512_seed13.safetensors"); done
results="$work/timings"
for run in 1 2 3; do
  # A socket per run: a server still shutting down must not meet the next run's client.
  t() { tmux -L "latentty-bench-$run" "$@"; }
  t new-session -d -s bench -x 120 -y 40 \
    "env TERM=xterm-256color LATENTTY_TIMINGS=$results XDG_CONFIG_HOME=$work/config XDG_STATE_HOME=$work/state-$run \
     $binary ${files[*]} --preset sd15 --endpoint http://127.0.0.1:$port/ --decode --out $work/out --graphics blocks --no-journal; sleep 30"
  until t capture-pane -p -t bench 2>/dev/null | grep -q "8 running"; do sleep 0.05; done
  t send-keys -t bench Tab
  for i in $(seq 1 60); do
    if [ $((i % 2)) -eq 0 ]; then key=j; else key=k; fi
    t send-keys -t bench "$key"
    sleep 0.03
  done
  t send-keys -t bench q Enter
  sleep 0.5
  t kill-server 2>/dev/null || true
done

python3 - "$results" <<'PY'
import statistics, sys
first, keys = [], []
for line in open(sys.argv[1]):
    name, value = line.split()
    (first if name == "first_frame" else keys).append(float(value) * 1000)
keys.sort()
p95 = keys[int(len(keys) * 0.95) - 1]
print(f"| first frame (3 starts) | median {statistics.median(first):.0f} ms, max {max(first):.0f} ms | target ≤ 200 ms |")
print(f"| key → redraw, 8 jobs in flight ({len(keys)} keys) | median {statistics.median(keys):.2f} ms, p95 {p95:.2f} ms, max {max(keys):.2f} ms | target ≤ 33 ms (one frame at 30 Hz) |")
PY
