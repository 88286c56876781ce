#!/usr/bin/env python3
"""The PyTorch baseline for `latentty bench local`: diffusers' AutoencoderKL with the SD v1 decoder
configuration and random weights, decoding one seeded latent on the CPU.

    pip install torch diffusers
    python scripts/bench_torch.py --size 512 [--dtype float32|bfloat16] [--tile] [--threads 2]

Prints one JSON line (seconds for the best timed decode after a warm-up, peak RSS in MiB).
"""
import argparse, json, resource, time

import torch
from diffusers import AutoencoderKL

parser = argparse.ArgumentParser()
parser.add_argument("--size", type=int, default=512)
parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
parser.add_argument("--tile", action="store_true")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--repeats", type=int, default=1)
args = parser.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(0)
dtype = getattr(torch, args.dtype)
vae = AutoencoderKL(
    in_channels=3, out_channels=3, latent_channels=4,
    down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
    block_out_channels=[128, 256, 512, 512], layers_per_block=2, norm_num_groups=32, sample_size=512,
).eval().to(dtype)
if args.tile:
    vae.enable_tiling()
latent = torch.randn(1, 4, args.size // 8, args.size // 8, generator=torch.Generator("cpu").manual_seed(13)).to(dtype)
with torch.inference_mode():
    start = time.perf_counter(); vae.decode(latent); first = time.perf_counter() - start
    times = []
    for _ in range(max(0, args.repeats)):
        start = time.perf_counter(); vae.decode(latent); times.append(time.perf_counter() - start)
print(json.dumps({"size": args.size, "tile": args.tile, "dtype": args.dtype, "first_seconds": first, "seconds": min(times) if times else first,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "torch": torch.__version__}))
