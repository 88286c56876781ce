"""diffusers' own distributions beside their seeded draws, so latentty's draw can be checked bit for bit
given the same mean and log-variance (the encoders' means differ from torch's by float rounding).

usage: python GENERATE_LOGVAR.py   (reads ../models/tiny_kl4*, ../models/tiny_kl16*)
Writes encode_distributions.safetensors (float32, NCHW):
  mean_<model>_<case>, logvar_<model>_<case>   latent_dist.mean and .logvar (clamped, as diffusers keeps it)
  sample_<model>_<case>_seed21                 latent_dist.sample(generator=torch.Generator().manual_seed(21))
"""
import json, os
import torch
from PIL import Image
from safetensors.torch import save_file, load_file
from diffusers import AutoencoderKL
from diffusers.image_processor import VaeImageProcessor

here = os.path.dirname(os.path.abspath(__file__)); up = os.path.join(os.path.dirname(here), "models")
def load(name):
    m = AutoencoderKL.from_config(json.load(open(os.path.join(up, f"{name}.config.json"))))
    m.load_state_dict(load_file(os.path.join(up, f"{name}.safetensors"))); return m.eval()
proc = VaeImageProcessor(vae_scale_factor=8)
out = {}
with torch.inference_mode():
    for name in ["tiny_kl4", "tiny_kl16"]:
        vae = load(name)
        for case in ["gradient", "noise"]:
            x = proc.preprocess(Image.open(os.path.join(here, f"image_{case}.png")))
            dist = vae.encode(x).latent_dist
            out[f"mean_{name}_{case}"] = dist.mean.contiguous()
            out[f"logvar_{name}_{case}"] = dist.logvar.contiguous()
            out[f"sample_{name}_{case}_seed21"] = dist.sample(generator=torch.Generator().manual_seed(21)).contiguous()
save_file(out, os.path.join(here, "encode_distributions.safetensors"))
print({k: tuple(v.shape) for k, v in out.items()})
