#!/usr/bin/env python3
"""Checks that diffusers' own remote_decode() works against `latentty serve`.

Needs torch and diffusers (`pip install torch diffusers`), so it is not part of CI:

    .build/release/latentty serve --port 8000 &
    python scripts/diffusers_interop.py http://127.0.0.1:8000/
"""
import sys

import requests
import torch
from diffusers.utils.remote_utils import remote_decode

endpoint = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000/"
g = lambda: torch.Generator("cpu").manual_seed(13)
sd = torch.randn(1, 4, 64, 64, generator=g(), dtype=torch.float16)
failures = 0


def check(name, condition, detail):
    global failures
    print(f"{'ok  ' if condition else 'FAIL'} {name}: {detail}")
    failures += 0 if condition else 1


image = remote_decode(endpoint=endpoint, tensor=sd, scaling_factor=0.18215)
check("pil/jpg", image.size == (512, 512) and str(image.format).upper() == "JPEG", f"{image.format} {image.size}")

image = remote_decode(endpoint=endpoint, tensor=sd, scaling_factor=0.18215, image_format="png")
check("pil/png", image.size == (512, 512) and str(image.format).upper() == "PNG", f"{image.format} {image.size}")

tensor = remote_decode(endpoint=endpoint, tensor=sd, scaling_factor=0.18215, output_type="pt", return_type="pt")
check("pt", tuple(tensor.shape) == (1, 3, 512, 512) and tensor.dtype == torch.float16, f"{tuple(tensor.shape)} {tensor.dtype}")

images = remote_decode(endpoint=endpoint, tensor=sd, scaling_factor=0.18215, output_type="pt", partial_postprocess=True)
first = images[0] if isinstance(images, list) else images
check("pt + partial_postprocess", getattr(first, "size", None) == (512, 512), f"{type(first).__name__} {getattr(first, 'size', None)}")

flux = torch.randn(1, 4096, 64, generator=g(), dtype=torch.bfloat16)
image = remote_decode(endpoint=endpoint, tensor=flux, scaling_factor=0.3611, shift_factor=0.1159, height=1024, width=1024)
check("flux packed pil", image.size == (1024, 1024), f"{image.size}")

video = torch.randn(1, 16, 3, 40, 64, generator=g(), dtype=torch.float16)
mp4 = remote_decode(endpoint=endpoint, tensor=video, scaling_factor=0.476986, output_type="mp4", return_type="mp4")
check("hunyuan mp4", isinstance(mp4, bytes) and mp4[4:8] == b"ftyp", f"{len(mp4)} bytes")

frames = remote_decode(endpoint=endpoint, tensor=video, scaling_factor=0.476986, output_type="pt", return_type="pt")
check("hunyuan pt", tuple(frames.shape) == (1, 3, 9, 320, 512), f"{tuple(frames.shape)}")

bad = requests.post(endpoint + "?shape=1&shape=4&shape=64&shape=64&dtype=float8", data=b"\0" * 100, headers={"Content-Type": "tensor/binary"})
check("bad dtype", bad.status_code == 400 and "error" in bad.json(), f"{bad.status_code} {bad.text}")
try:
    remote_decode(endpoint=endpoint, tensor=sd[:, :, :, :10].contiguous().view(torch.float16)[:, :3], scaling_factor=0.18215)
    check("wrong channels via remote_decode", False, "no error raised")
except Exception as error:  # diffusers raises RuntimeError with the server's JSON
    check("wrong channels via remote_decode", "400" in str(error) or "error" in str(error), str(error)[:160])

sys.exit(1 if failures else 0)
