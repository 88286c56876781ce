#!/usr/bin/env python3
"""make_image.py WIDTH HEIGHT OUT.ppm: a test picture with detail at every scale.

A 2-pixel magenta frame (so the picture's edges can be found on any background), then four
quarters: a 1-pixel black/white checkerboard, smooth colour gradients, 3-pixel blocks of
seeded random colours (hard edges like text), and thin diagonal stripes over rings. A protocol
that shows real pixels reproduces all of it; half blocks can only average it away.
"""
import sys

import numpy as np

width, height, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
y, x = np.mgrid[0:height, 0:width]
image = np.zeros((height, width, 3), np.uint8)
half_w, half_h = width // 2, height // 2
top, left = y < half_h, x < half_w

checker = ((x + y) % 2 * 255).astype(np.uint8)
image[top & left] = np.stack([checker] * 3, axis=-1)[top & left]

gradient = np.stack([x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), 255 - (x + y) * 255 // max(1, width + height - 2)], -1)
image[top & ~left] = gradient[top & ~left].astype(np.uint8)

palette = np.random.default_rng(11).integers(0, 256, (height // 3 + 1, width // 3 + 1, 3), dtype=np.uint8)
blocks = palette[y // 3, x // 3]
image[~top & left] = blocks[~top & left]

rings = ((np.hypot(x - width * 0.75, y - height * 0.75) // 4) % 2 * 200).astype(np.uint8)
stripes = ((x - y) % 5 < 2) * 55
pattern = np.stack([rings + stripes, (rings // 2 + stripes * 3) % 256, 255 - rings], -1).astype(np.uint8)
image[~top & ~left] = pattern[~top & ~left]

image[:2, :] = image[-2:, :] = image[:, :2] = image[:, -2:] = (255, 0, 255)
with open(out, "wb") as f:
    f.write(b"P6\n%d %d\n255\n" % (width, height) + image.tobytes())
