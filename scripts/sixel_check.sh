#!/usr/bin/env bash
# The preview in a real sixel terminal: xterm as a VT340 under Xvfb runs
#   latentty LATENT --preset sd15 --endpoint URL --decode
# against `latentty serve` (LATENT: a smooth test latent made here), waits for the job, screenshots the screen, and checks that the picture
# in the preview resembles the decoded image (correlation of the pixels, per channel).
# Needs: apt-get install xvfb xterm imagemagick xfonts-base. Not part of CI (an X server there is
# more fragile than the check is worth); run it after changing anything in the preview path.
#   scripts/sixel_check.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
binary="$(realpath "${1:-.build/debug/latentty}")"
work="$(mktemp -d)"
display=":$((90 + RANDOM % 9))"
cleanup() { kill "${term:-}" "${server:-}" 2>/dev/null || true; sleep 0.2; kill "${xvfb:-}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

Xvfb "$display" -screen 0 1400x1000x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
"$binary" serve --port 0 2> "$work/serve.log" &
server=$!
# A latent with large smooth structure (noise would make the comparison hinge on single pixels).
python3 - "$work/smooth.npy" <<'PY'
import sys
import numpy as np
y, x = np.mgrid[0:64, 0:64] / 63.0
channels = [np.sin(3 * x + 1), np.cos(4 * y), np.sin(2 * (x + y)), np.cos(5 * x * y)]
np.save(sys.argv[1], (np.stack(channels)[None] * 1.5).astype(np.float32))
PY
until grep -qs "listening on" "$work/serve.log"; do sleep 0.1; done
url="$(grep -o 'http://127.0.0.1:[0-9]*/' "$work/serve.log")"

DISPLAY="$display" xterm -ti vt340 -xrm 'XTerm*decGraphicsID: vt340' -xrm 'XTerm*numColorRegisters: 256' \
  -xrm 'XTerm*maxGraphicSize: 1000x1000' -geometry 120x40+0+0 -fa '' -fn fixed \
  -e env XDG_STATE_HOME="$work/state" "$binary" "$work/smooth.npy" --preset sd15 --endpoint "$url" \
     --decode --out "$work/out" --no-journal &
term=$!
for _ in $(seq 1 100); do [ -f "$work/out/smooth.jpg" ] && break; sleep 0.1; done
[ -f "$work/out/smooth.jpg" ] || { echo "FAIL: the job did not finish"; exit 1; }
sleep 2   # the preview is encoded and drawn after the job finishes
DISPLAY="$display" import -window root "$work/screen.png"
cp "$work/screen.png" "${SIXEL_SCREENSHOT:-/tmp/latentty-sixel.png}"
convert "$work/screen.png" "$work/screen.ppm"
convert "$work/out/smooth.jpg" "$work/decoded.ppm"

python3 - "$work/screen.ppm" "$work/decoded.ppm" <<'PY'
import sys
import numpy as np

def ppm(path):
    data = open(path, "rb").read()
    parts, index = [], 0
    while len(parts) < 4:
        while data[index:index + 1].isspace(): index += 1
        end = index
        while not data[end:end + 1].isspace(): end += 1
        parts.append(data[index:end]); index = end
    width, height = int(parts[1]), int(parts[2])
    return np.frombuffer(data[index + 1:index + 1 + width * height * 3], np.uint8).reshape(height, width, 3).astype(np.float64)

screen, decoded = ppm(sys.argv[1]), ppm(sys.argv[2])
# The preview is the one densely colourful block on the screen; borders and text are thin, so
# keep only pixels whose 16×16 neighbourhood is mostly saturated.
saturation = screen.max(axis=2) - screen.min(axis=2)
colourful = (saturation > 40).astype(np.float64)
k = 16
integral = np.pad(colourful, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
density = (integral[k:, k:] - integral[:-k, k:] - integral[k:, :-k] + integral[:-k, :-k]) / (k * k)
dense = np.argwhere(density > 0.6)
if len(dense) < 64:
    print("FAIL: no picture found on the screen"); sys.exit(1)
top, left = dense.min(axis=0)
bottom, right = dense.max(axis=0) + k
shot = screen[top:bottom, left:right]
# Resample the decoded image to the shot's size (nearest) and correlate.
ys = (np.arange(shot.shape[0]) * decoded.shape[0] / shot.shape[0]).astype(int)
xs = (np.arange(shot.shape[1]) * decoded.shape[1] / shot.shape[1]).astype(int)
reference = decoded[ys][:, xs]
scores = [np.corrcoef(shot[..., c].ravel(), reference[..., c].ravel())[0, 1] for c in range(3)]
print(f"picture at x={left}..{right} y={top}..{bottom} ({right - left}×{bottom - top} px); correlation R {scores[0]:.3f} G {scores[1]:.3f} B {scores[2]:.3f}")
sys.exit(0 if min(scores) > 0.6 else 1)
PY
echo "PASS: sixel preview matches the decoded image"
