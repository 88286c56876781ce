"""PNGs in PIL's other modes (L, LA, RGBA, P) beside PIL's `convert("RGB")` of each, which is what an
encoder is given. Run from the repository root with Pillow installed. (16-bit grey is left out: PIL
clips it to 255, where latentty, like libspng, keeps the high byte.)"""
import numpy as np
from PIL import Image

rng = np.random.default_rng(3)
out = "Tests/Fixtures/encode/"
images = {
    "L": Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8), "L"),
    "LA": Image.fromarray(rng.integers(0, 256, (8, 8, 2), dtype=np.uint8), "LA"),
    "RGBA": Image.fromarray(rng.integers(0, 256, (8, 8, 4), dtype=np.uint8), "RGBA"),
    "P": Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8), "RGB").quantize(16),
}
for mode, image in images.items():
    image.save(out + f"mode_{mode}.png")
    Image.open(out + f"mode_{mode}.png").convert("RGB").save(out + f"mode_{mode}_rgb.png")

# JPEGs in PIL's other modes: CMYK (which PIL writes, and reads back, with Adobe's inverted inks) and grey.
jpeg_rng = np.random.default_rng(5)
jpegs = {
    "CMYK": Image.fromarray(jpeg_rng.integers(0, 256, (16, 24, 4), dtype=np.uint8), "CMYK"),
    "L": Image.fromarray(jpeg_rng.integers(0, 256, (16, 24), dtype=np.uint8), "L"),
}
for mode, image in jpegs.items():
    image.save(out + f"mode_{mode}.jpg", quality=90)
    Image.open(out + f"mode_{mode}.jpg").convert("RGB").save(out + f"mode_{mode}_jpg_rgb.png")
