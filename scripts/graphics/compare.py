#!/usr/bin/env python3
"""Finds a picture in a screenshot and scores it against the image that should be there.

  compare.py frame SHOT.ppm EXPECTED.ppm   the picture carries make_image.py's magenta frame
  compare.py find  SHOT.ppm EXPECTED.ppm   a decoded preview: the densest colourful block, refined
                                           to the placement that matches best
  compare.py box   SHOT.ppm EXPECTED.ppm X Y
                                           the picture is at X,Y at its own size (where a picture
                                           without its frame, such as half blocks, must be)
  compare.py fit IMAGE.ppm COLUMNS ROWS CELL_W CELL_H OUT.ppm
                                           IMAGE as latentty fits it into that box (ImageFitting)

Prints one line: where the picture is, its size against the expected size, PSNR in dB (the
expected image resized to what is on screen by area averaging, as latentty's ImageFitting does),
distinct colours on screen against expected, and whether the size on screen is the expected one
(size_ok: a picture stretched to whole cells is not). Exit status 0; the caller judges the numbers.
"""
import sys

import numpy as np


def ppm(path):
    data = open(path, "rb").read()
    fields, index = [], 0
    while len(fields) < 4:
        while data[index:index + 1].isspace():
            index += 1
        end = index
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[index:end])
        index = end
    width, height = int(fields[1]), int(fields[2])
    return np.frombuffer(data[index + 1:index + 1 + width * height * 3], np.uint8).reshape(height, width, 3)


def resize(image, width, height):
    """ImageFitting.resize: the mean of the source pixels under each target pixel, nearest when enlarging."""
    if (height, width) == image.shape[:2]:
        return image.astype(np.float64)
    source_h, source_w = image.shape[:2]
    integral = np.pad(image.astype(np.float64), ((1, 0), (1, 0), (0, 0))).cumsum(0).cumsum(1)
    y0 = np.arange(height) * source_h // height
    y1 = np.maximum(y0 + 1, (np.arange(height) + 1) * source_h // height)
    x0 = np.arange(width) * source_w // width
    x1 = np.maximum(x0 + 1, (np.arange(width) + 1) * source_w // width)
    total = integral[y1][:, x1] - integral[y0][:, x1] - integral[y1][:, x0] + integral[y0][:, x0]
    area = ((y1 - y0)[:, None] * (x1 - x0)[None, :])[..., None]
    return total / area


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def colours(image):
    flat = image.reshape(-1, 3).astype(np.uint32)
    return len(np.unique(flat[:, 0] << 16 | flat[:, 1] << 8 | flat[:, 2]))


def frame_box(shot):
    magenta = (shot[..., 0] > 200) & (shot[..., 1] < 60) & (shot[..., 2] > 200)
    rows, cols = np.where(magenta.sum(1) >= 8)[0], np.where(magenta.sum(0) >= 8)[0]
    if len(rows) == 0 or len(cols) == 0:
        return None
    return rows.min(), cols.min(), rows.max() + 1, cols.max() + 1


def dense_box(shot):
    saturation = shot.max(axis=2).astype(int) - shot.min(axis=2)
    colourful = (saturation > 30).astype(np.float64)
    k = 16
    integral = np.pad(colourful, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    density = (integral[k:, k:] - integral[:-k, k:] - integral[k:, :-k] + integral[:-k, :-k]) / (k * k)
    dense = density > 0.5
    if dense.sum() < 64:
        return None

    def longest_run(counts):
        """The longest stretch of rows (or columns) that each hold at least half the most any does:
        the picture, not a coloured progress bar or a selected line beside it."""
        strong = counts >= counts.max() / 2
        best, start = (0, 0), None
        for index, value in enumerate(np.append(strong, False)):
            if value and start is None:
                start = index
            elif not value and start is not None:
                best = max(best, (index - start, start))
                start = None
        return best[1], best[1] + best[0]

    top, bottom = longest_run(dense.sum(axis=1))
    left, right = longest_run(dense[top:bottom].sum(axis=0))
    # A window counts when it is mostly inside the picture: its centre is near the picture's edge.
    return top + k // 2, left + k // 2, bottom + k // 2, right + k // 2


def refine(shot, expected, box, reach=8):
    """The placement within `reach` pixels of `box` that matches `expected` best, keeping the
    expected aspect ratio (a preview is fitted, never stretched). One pixel off can cost 10 dB on
    fine detail, so every placement is tried, scored on every third pixel to stay quick."""
    top, left, bottom, right = box
    aspect = expected.shape[0] / expected.shape[1]
    best, found = None, box
    for width in range(right - left - reach, right - left + reach + 1):
        for height in {int(width * aspect), round(width * aspect), int(width * aspect) + 1}:
            if width < 8 or height < 8:
                continue
            reference = resize(expected, width, height)[::3, ::3]
            for y in range(max(0, top - reach), top + reach + 1):
                for x in range(max(0, left - reach), left + reach + 1):
                    crop = shot[y:y + height:3, x:x + width:3]
                    if crop.shape != reference.shape:
                        continue
                    error = np.mean((crop - reference) ** 2)
                    if best is None or error < best:
                        best, found = error, (y, x, y + height, x + width)
    return found


if sys.argv[1] == "fit":
    image = ppm(sys.argv[2])
    columns, rows, cell_w, cell_h = map(int, sys.argv[3:7])
    scale = min(columns * cell_w / image.shape[1], rows * cell_h / image.shape[0], 4)
    width, height = max(1, int(image.shape[1] * scale)), max(1, int(image.shape[0] * scale))
    fitted = np.rint(resize(image, width, height)).astype(np.uint8)
    with open(sys.argv[7], "wb") as out:
        out.write(b"P6\n%d %d\n255\n" % (width, height) + fitted.tobytes())
    sys.exit(0)

mode, shot, expected = sys.argv[1], ppm(sys.argv[2]), ppm(sys.argv[3])
if mode == "box":
    x, y = int(sys.argv[4]), int(sys.argv[5])
    box = (y, x, y + expected.shape[0], x + expected.shape[1])
else:
    box = frame_box(shot) if mode == "frame" else dense_box(shot)
if box is None:
    print("picture not found on the screen psnr=0.0 colours=0 expected_colours=%d" % colours(expected))
    sys.exit(0)
if mode == "find":
    box = refine(shot.astype(np.float64), expected, box)
top, left, bottom, right = box
crop = shot[top:bottom, left:right]
reference = resize(expected, right - left, bottom - top)
print(
    "at x=%d y=%d size %dx%d (%s %dx%d) psnr=%.1f colours=%d expected_colours=%d%s"
    % (left, top, right - left, bottom - top, "source" if mode == "find" else "expected", expected.shape[1], expected.shape[0],
       psnr(crop, reference), colours(crop), colours(np.rint(reference).astype(np.uint8)),
       (" size_ok=yes" if crop.shape[:2] == expected.shape[:2] else " size_ok=no") if mode == "frame" else ""))
