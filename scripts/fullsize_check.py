#!/usr/bin/env python3
"""latentty's full decoder against diffusers on a full-size SD v1 VAE (random weights, saved in
diffusers layout), so every path the small test models cannot reach runs: Winograd on row strips,
convolutions over their own input, per-call weight transforms, banded attention.

    pip install torch diffusers
    python scripts/fullsize_check.py [--size 512] [--precision f32|bf16] [--tile off|on] [--flux]
                                     [--weights float32|float16|bfloat16]

--flux makes the FLUX.1 VAE's shape instead (16 latent channels, no post_quant_conv, scaling
0.3611 and shift 0.1159) and decodes with `--preset flux`.

Not part of CI: it writes ~330 MB of weights and decodes twice at full size.
"""
import argparse, pathlib, subprocess, sys, tempfile

import torch
from diffusers import AutoencoderKL
from safetensors.torch import load_file, save_file

parser = argparse.ArgumentParser()
parser.add_argument("--size", type=int, default=512)
parser.add_argument("--precision", default="f32", choices=["f32", "bf16"])
parser.add_argument("--tile", default="off", choices=["off", "on"])
parser.add_argument("--flux", action="store_true")
parser.add_argument("--weights", default="float32", choices=["float32", "float16", "bfloat16"], help="dtype of the saved weights")
args = parser.parse_args()
channels, scaling, shift, preset = (16, 0.3611, 0.1159, "flux") if args.flux else (4, 0.18215, 0.0, "sd15")

torch.manual_seed(0)
vae = AutoencoderKL(
    in_channels=3, out_channels=3, latent_channels=channels,
    down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
    block_out_channels=[128, 256, 512, 512], layers_per_block=2, norm_num_groups=32, sample_size=512,
    use_quant_conv=not args.flux, use_post_quant_conv=not args.flux, scaling_factor=scaling, shift_factor=shift,
).eval()
# Random norms and biases too, so no layer is an identity by construction.
with torch.no_grad():
    for name, p in vae.named_parameters():
        if "norm" in name:
            p.copy_(1 + 0.1 * torch.randn_like(p) if name.endswith("weight") else 0.1 * torch.randn_like(p))
        elif name.endswith("bias"):
            p.copy_(0.02 * torch.randn_like(p))
# Weights stored in half precision (like sdxl-vae-fp16-fix): diffusers decodes here with the same
# rounded values in f32, as latentty does after loading them.
vae = vae.to(getattr(torch, args.weights)).float()
if args.tile == "on":
    vae.enable_tiling()
latent = torch.randn(1, channels, args.size // 8, args.size // 8, generator=torch.Generator("cpu").manual_seed(13))
with torch.inference_mode():
    expected = vae.decode(latent / scaling + shift).sample

with tempfile.TemporaryDirectory() as folder:
    folder = pathlib.Path(folder)
    vae.to(getattr(torch, args.weights)).save_pretrained(folder / "vae")
    save_file({"latent": latent.contiguous()}, folder / "latent.safetensors")
    binary = pathlib.Path(__file__).resolve().parent.parent / ".build/release/latentty"
    subprocess.run([str(binary), "decode", str(folder / "latent.safetensors"), "--preset", preset, "--local", "--engine", "full",
                    "--vae", str(folder), "--precision", args.precision, "--tile", args.tile, "--output-type", "pt",
                    "--out", str(folder / "out")], check=True)
    decoded = next(iter(load_file(folder / "out" / "latent.safetensors").values())).float()

difference = (decoded - expected).abs().max().item()
to8 = lambda x: ((x / 2 + 0.5).clamp(0, 1) * 255).round()
mse = ((to8(decoded) - to8(expected)) ** 2).mean().item()
psnr = float("inf") if mse == 0 else 10 * torch.log10(torch.tensor(255.0 ** 2 / mse)).item()
print(f"{preset} {args.size}² {args.precision} tile {args.tile}: max |Δ| {difference:.3g} on [-1, 1], PSNR {psnr:.1f} dB on 8-bit")
limit = 1e-4 if args.precision == "f32" else None
if limit is not None and difference > limit:
    sys.exit(f"FAIL: max |Δ| {difference} > {limit}")
if args.precision == "bf16" and psnr < 40:
    sys.exit(f"FAIL: PSNR {psnr} < 40 dB")
