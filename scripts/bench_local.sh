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
# bf16 rows also compare the image with a direct-convolution f32 decode (--compare, after the timing).
for config in "512 off 1 f32" "1024 on 0 f32" "1024 off 0 f32" "512 off 1 bf16" "1024 on 0 bf16" "1024 off 0 bf16"; do
  set -- $config
  compare=""; [ "$4" = bf16 ] && [ "$1" = 512 ] && compare="--compare"
  .build/release/latentty bench local --size "$1" --tile "$2" --repeats "$3" --precision "$4" $compare --json
  if "$python" -c "import torch, diffusers" 2>/dev/null; then
    tile=""; [ "$2" = on ] && tile="--tile"
    dtype=float32; [ "$4" = bf16 ] && dtype=bfloat16
    "$python" scripts/bench_torch.py --size "$1" $tile --dtype "$dtype" --threads "$OMP_NUM_THREADS" --repeats "$3" 2>/dev/null
  fi
done
# Direct convolutions only (no Winograd): what the Winograd layers buy, in time and memory.
.build/release/latentty bench local --size 512 --tile off --winograd off --repeats 1 --json
