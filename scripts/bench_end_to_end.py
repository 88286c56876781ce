#!/usr/bin/env python3
"""End to end, as a person runs it: `latentty decode --local --engine full` against a diffusers script
doing the same — start the process, load a full-size SD v1 VAE from its diffusers folder, decode one
latent, post-process and write the PNG — each timed as a whole process (wall clock), best of --repeats.

    pip install torch diffusers
    swift build -c release --product latentty
    python scripts/bench_end_to_end.py [--size 512] [--threads 2] [--repeats 2]

The VAE has random weights (seed 0) in the real configuration, saved once with `save_pretrained` to a
temporary folder. A manual benchmark, not in CI; results go in docs/BENCHMARKS.md.
"""
import argparse, pathlib, subprocess, sys, tempfile, time

ROOT = pathlib.Path(__file__).resolve().parent.parent

DIFFUSERS = """
import sys, torch
from diffusers import AutoencoderKL
from diffusers.image_processor import VaeImageProcessor
from safetensors.torch import load_file
folder, out, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.set_num_threads(threads)
vae = AutoencoderKL.from_pretrained(folder, subfolder="vae").eval()
latent = load_file(folder + "/latent.safetensors")["latent"]
with torch.inference_mode():
    image = vae.decode(latent / vae.config.scaling_factor).sample
VaeImageProcessor().postprocess(image, output_type="pil")[0].save(out)
"""


def timed(command, env=None):
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--latentty", default=str(ROOT / ".build/release/latentty"))
    args = parser.parse_args()

    import torch
    from diffusers import AutoencoderKL
    from safetensors.torch import save_file

    with tempfile.TemporaryDirectory() as folder:
        torch.manual_seed(0)
        AutoencoderKL(
            in_channels=3, out_channels=3, latent_channels=4,
            down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
            block_out_channels=[128, 256, 512, 512], layers_per_block=2, norm_num_groups=32, sample_size=512,
        ).save_pretrained(f"{folder}/vae")
        latent = torch.randn(1, 4, args.size // 8, args.size // 8, generator=torch.Generator("cpu").manual_seed(13))
        save_file({"latent": latent.contiguous()}, f"{folder}/latent.safetensors")
        latentty = [args.latentty, "decode", f"{folder}/latent.safetensors", "--preset", "sd15", "--local", "--engine", "full",
                    "--vae", folder, "--threads", str(args.threads), "--format", "png", "--out", f"{folder}/out"]
        python = [sys.executable, "-c", DIFFUSERS, folder, f"{folder}/diffusers.png", str(args.threads)]
        rows = {"latentty decode --local": [], "diffusers script": []}
        for _ in range(args.repeats):
            rows["latentty decode --local"].append(timed(latentty))
            rows["diffusers script"].append(timed(python, env={**__import__("os").environ, "OMP_NUM_THREADS": str(args.threads)}))
    best = {name: min(times) for name, times in rows.items()}
    print(f"end to end at {args.size}², {args.threads} threads, best of {args.repeats} (process start to PNG written)")
    print("| command | seconds | ratio |\n|---|---:|---:|")
    for name, seconds in best.items():
        print(f"| {name} | {seconds:.2f} | {seconds / best['diffusers script']:.2f}× |")


if __name__ == "__main__":
    main()
