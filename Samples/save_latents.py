#!/usr/bin/env python3
"""Save the latents a diffusers pipeline produces, in the form latentty loads.

    pip install torch diffusers transformers accelerate safetensors
    python Samples/save_latents.py --model stable-diffusion-v1-5/stable-diffusion-v1-5 --preset sd15 \
        --prompt "a lighthouse at dusk" --seed 0 -o lighthouse.safetensors
    latentty inspect lighthouse.safetensors

The pipeline runs with output_type="latent", so the file holds diffusion-space latents exactly as
the pipeline hands them to its VAE: SD/SDXL latents still multiplied by the scaling factor, Flux
latents packed (the image size is recorded so latentty can unpack them), video latents 5-D.
"""
import argparse

import torch
from diffusers import DiffusionPipeline
from safetensors.torch import save_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="a diffusers pipeline id or folder")
    parser.add_argument("--preset", required=True, choices=["sd15", "sdxl", "flux", "hunyuanvideo"], help="the latentty preset these latents belong to")
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--width", type=int, default=None)
    parser.add_argument("--height", type=int, default=None)
    parser.add_argument("--frames", type=int, default=None, help="video frames (video pipelines)")
    parser.add_argument("--steps", type=int, default=None, help="inference steps (pipeline default if omitted)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("-o", "--output", required=True, help="a .safetensors file")
    args = parser.parse_args()

    dtype = torch.bfloat16 if args.device != "cpu" else torch.float32
    pipe = DiffusionPipeline.from_pretrained(args.model, torch_dtype=dtype).to(args.device)
    options = {"prompt": args.prompt, "output_type": "latent", "generator": torch.Generator("cpu").manual_seed(args.seed)}
    for name, value in (("width", args.width), ("height", args.height), ("num_frames", args.frames), ("num_inference_steps", args.steps)):
        if value is not None:
            options[name] = value
    result = pipe(**options)
    latents = result.frames if args.preset == "hunyuanvideo" else result.images

    height = args.height or getattr(pipe, "default_sample_size", 64) * getattr(pipe, "vae_scale_factor", 8)
    width = args.width or height
    metadata = {
        "latentty.preset": args.preset,
        "latentty.seed": str(args.seed),
        "latentty.space": "diffusion",
        "latentty.size": f"{width}x{height}",
        "latentty.packed": str(latents.dim() == 3).lower(),
        "latentty.prompt": args.prompt,
        "latentty.model": args.model,
    }
    save_file({"latents": latents.detach().to("cpu").contiguous()}, args.output, metadata=metadata)
    print(f"wrote {args.output}: {list(latents.shape)} {latents.dtype}")


if __name__ == "__main__":
    main()
