#!/usr/bin/env bash
# latentty's native decoder against PyTorch/diffusers on this machine, same configuration, same run.
#   scripts/bench_local.sh [PYTHON]   (PYTHON: an interpreter with torch and diffusers; skipped if absent)
# Each configuration runs in its own process so its peak RSS is its own.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${1:-python3}"
[ -x .build/release/latentty ] || swift build -c release --product latentty >&2
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
echo "machine: $(lscpu | sed -n 's/^Model name:[ ]*//p'), $(nproc) cores; oneDNN ISA: $(.build/release/latentty doctor | sed -n 's/^cpu isa[ ]*//p')"
# 512²: best of one timed decode after a warm-up; 1024²: the first decode (a second costs minutes).
for config in "512 off 1" "1024 on 0" "1024 off 0"; do
  set -- $config
  .build/release/latentty bench local --size "$1" --tile "$2" --repeats "$3" --json
  if "$python" -c "import torch, diffusers" 2>/dev/null; then
    tile=""; [ "$2" = on ] && tile="--tile"
    "$python" scripts/bench_torch.py --size "$1" $tile --threads "$OMP_NUM_THREADS" --repeats "$3" 2>/dev/null
  fi
done
# Direct convolutions only (no Winograd): what the Winograd layers buy, in time and memory.
.build/release/latentty bench local --size 512 --tile off --winograd off --repeats 1 --json
.build/release/latentty bench local --size 512 --tile off --precision bf16 --compare --json
if "$python" -c "import torch, diffusers" 2>/dev/null; then
  "$python" scripts/bench_torch.py --size 512 --dtype bfloat16 --threads "$OMP_NUM_THREADS" 2>/dev/null
fi
