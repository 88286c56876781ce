#!/usr/bin/env python3
"""Checks that diffusers' own remote_encode() against `latentty serve --engine full` returns what
diffusers' local AutoencoderKL encode returns (the Gaussian's mean, scaled and shifted the same way).

Needs torch and diffusers (`pip install torch diffusers`), so it is not part of CI:

    swift build -c release --product latentty
    python scripts/diffusers_encode_interop.py                      # the tiny_kl4 test fixture
    python scripts/diffusers_encode_interop.py --vae ~/models/sd-vae-ft-mse --tolerance 1e-3

It starts `latentty serve --engine full --vae FOLDER --preset sd15` on 127.0.0.1 itself. Without
--vae, FOLDER is made in a temporary directory from Tests/Fixtures/models/tiny_kl4.safetensors and its
config, as diffusers' `from_pretrained` layout. Prints max |Δ| per check and exits 1 if any is above
--tolerance.
"""
import argparse, shutil, socket, subprocess, sys, tempfile, time
from pathlib import Path

import numpy
import requests
import torch
from diffusers import AutoencoderKL
from diffusers.image_processor import VaeImageProcessor
from diffusers.utils.remote_utils import remote_encode
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "Tests/Fixtures/models/tiny_kl4"


def fixture_folder(parent):
    """The tiny_kl4 fixture as a diffusers folder: diffusion_pytorch_model.safetensors + config.json."""
    folder = Path(parent) / "tiny_kl4"
    folder.mkdir()
    shutil.copy(FIXTURE.with_suffix(".safetensors"), folder / "diffusion_pytorch_model.safetensors")
    shutil.copy(FIXTURE.with_suffix(".config.json"), folder / "config.json")
    return folder


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(latentty, folder, port):
    server = subprocess.Popen([str(latentty), "serve", "--engine", "full", "--vae", str(folder), "--preset", "sd15",
                               "--host", "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"latentty serve exited with status {server.returncode}: {server.stderr.read().decode(errors='replace')}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/ready", timeout=1).ok:
                return server
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    server.kill()
    sys.exit("latentty serve did not become ready within 60 s")


def seeded_image(width, height):
    """A seeded RGB picture: smooth gradients plus noise, so every channel and position matters."""
    generator = numpy.random.default_rng(13)
    y, x = numpy.mgrid[0:height, 0:width]
    base = numpy.stack([x / width, y / height, (x + y) / (width + height)], axis=-1) * 200
    pixels = numpy.clip(base + generator.normal(0, 25, (height, width, 3)), 0, 255)
    return Image.fromarray(pixels.astype(numpy.uint8), "RGB")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vae", type=Path, help="a diffusers AutoencoderKL folder (default: the tiny_kl4 fixture)")
    parser.add_argument("--latentty", type=Path, default=ROOT / ".build/release/latentty", help="the latentty binary")
    parser.add_argument("--tolerance", type=float, default=1e-4, help="largest max |Δ| accepted (default 1e-4)")
    args = parser.parse_args()
    if not args.latentty.exists():
        sys.exit(f"no latentty binary at {args.latentty} (swift build -c release --product latentty)")

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.vae or fixture_folder(scratch)
        vae = AutoencoderKL.from_pretrained(folder).eval()
        scaling = vae.config.scaling_factor
        # The server resizes images to multiples of 8, as remote_encode's endpoints and VaeImageProcessor's default do.
        processor = VaeImageProcessor(vae_scale_factor=8)
        port = free_port()
        server = start_server(args.latentty, folder, port)
        endpoint = f"http://127.0.0.1:{port}/encode"
        failures = 0

        def local(pixels, shift=None):
            with torch.inference_mode():
                mean = vae.encode(pixels).latent_dist.mean
            return (mean - (shift or 0)) * scaling

        def check(name, remote, expected):
            nonlocal failures
            if tuple(remote.shape) != tuple(expected.shape):
                print(f"FAIL {name}: shape {tuple(remote.shape)}, diffusers {tuple(expected.shape)}")
                failures += 1
                return
            delta = (remote.float() - expected.float()).abs().max().item()
            passed = delta <= args.tolerance
            print(f"{'ok  ' if passed else 'FAIL'} {name}: {tuple(remote.shape)}, max |Δ| {delta:.3g}")
            failures += 0 if passed else 1

        try:
            image = seeded_image(96, 64)
            check("PIL image 96×64", remote_encode(endpoint=endpoint, image=image, scaling_factor=scaling),
                  local(processor.preprocess(image)))
            check("PIL image, shift 0.1159", remote_encode(endpoint=endpoint, image=image, scaling_factor=scaling, shift_factor=0.1159),
                  local(processor.preprocess(image), shift=0.1159))
            odd = seeded_image(100, 75)
            check("PIL image 100×75 (resized to 96×72)", remote_encode(endpoint=endpoint, image=odd, scaling_factor=scaling),
                  local(processor.preprocess(odd)))
            # preprocess returns a channels-last view; remote_encode must get a contiguous tensor, since
            # it sends the bytes of `image.contiguous()` after that temporary copy is freed (diffusers 0.42.1).
            tensor = processor.preprocess(seeded_image(64, 64)).contiguous()
            check("float32 tensor [1,3,64,64]", remote_encode(endpoint=endpoint, image=tensor, scaling_factor=scaling), local(tensor))
        finally:
            server.terminate()
            server.wait(timeout=10)
        sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
