"""The resize fixtures: diffusers' VaeImageProcessor (vae_scale_factor 8) resizing two odd-sized
images down to multiples of 8 with PIL's Lanczos. Run from the repository root with diffusers installed."""
import numpy as np
from PIL import Image
from diffusers.image_processor import VaeImageProcessor

rng = np.random.default_rng(7)
proc = VaeImageProcessor(vae_scale_factor=8)
for (w, h) in [(37, 21), (64, 29)]:
    # Gradients plus noise, so every lobe of the kernel matters.
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([(xx * 255 // max(w - 1, 1)), (yy * 255 // max(h - 1, 1)), ((xx + yy) * 37) % 256], -1)
    arr = np.clip(base + rng.integers(-60, 60, base.shape), 0, 255).astype(np.uint8)
    img = Image.fromarray(arr, "RGB")
    t = proc.preprocess(img)
    H, W = t.shape[2], t.shape[3]
    out = proc.resize(img, H, W)
    img.save(f"Tests/Fixtures/encode/resize_in_{w}x{h}.png")
    out.save(f"Tests/Fixtures/encode/resize_lanczos_{W}x{H}.png")
    # preprocess is exactly the resized image mapped to [-1, 1]
    ref = np.asarray(out).astype(np.float32) / 255.0 * 2 - 1
    assert np.abs(t[0].permute(1, 2, 0).numpy() - ref).max() == 0
