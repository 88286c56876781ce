"""Reference tiled encodes, made with diffusers 0.42.1 on CPU after `vae.enable_tiling()`.

usage: python Tests/Fixtures/encode/GENERATE_TILED.py   (from the repository root; reads
Tests/Fixtures/models/tiny_kl4*, tiny_kl16*, Tests/Fixtures/encode/taesd_random.safetensors and the
images of encode_cases.safetensors). Writes encode_tiled.safetensors (float32, NCHW):
  tiled_mean_<model>_<case>, tiled_logvar_<model>_<case>
                    AutoencoderKL._tiled_encode: tiles of config.sample_size pixels (32 for tiny_kl4,
                    64 for tiny_kl16) every 3/4 tile, blended and cropped as moments, then
                    DiagonalGaussianDistribution (logvar clamped to [-30, 20]); every case here is
                    larger than a tile, so _encode tiles it
  logvar_<model>_<case>   the untiled log-variance, for comparison
  image_wide        a 64x600 image in [-1, 1] (wider than TAESD's fixed 512-pixel tile)
  taesd_tiled_wide  AutoencoderTiny._tiled_encode of it: tiles of 512 every 448 pixels, blended with
                    masks ramping over 8 latent cells
  taesd_wide        its untiled encode, for comparison
"""
import json
import numpy as np, torch
from safetensors.torch import save_file, load_file
from diffusers import AutoencoderKL, AutoencoderTiny

root = "Tests/Fixtures/"


def load(cls, name, weights=None):
    cfg = json.load(open(f"{root}models/{name}.config.json"))
    m = cls.from_config(cfg)
    m.load_state_dict(load_file(weights or f"{root}models/{name}.safetensors"))
    return m.eval()


inputs = load_file(f"{root}encode/encode_cases.safetensors")
out = {}
with torch.inference_mode():
    for name in ["tiny_kl4", "tiny_kl16"]:
        vae = load(AutoencoderKL, name)
        for case in ["gradient", "noise"]:
            x = inputs[f"image_{case}"]
            out[f"logvar_{name}_{case}"] = vae.encode(x).latent_dist.logvar.contiguous()
            vae.enable_tiling()
            dist = vae.encode(x).latent_dist
            vae.disable_tiling()
            out[f"tiled_mean_{name}_{case}"] = dist.mean.contiguous()
            out[f"tiled_logvar_{name}_{case}"] = dist.logvar.contiguous()
    taesd = load(AutoencoderTiny, "taesd_random", f"{root}encode/taesd_random.safetensors")
    yy, xx = np.mgrid[0:64, 0:600]
    rng = np.random.default_rng(5)
    wide = np.stack([np.sin(xx / 37.0), np.cos(yy / 11.0 + xx / 53.0), (xx - 300) / 300.0], 0)
    wide = np.clip(wide + rng.normal(0, 0.2, wide.shape), -1, 1).astype(np.float32)
    x = torch.from_numpy(wide)[None]
    out["image_wide"] = x.contiguous()
    out["taesd_wide"] = taesd.encode(x).latents.contiguous()
    taesd.enable_tiling()
    out["taesd_tiled_wide"] = taesd.encode(x).latents.contiguous()
save_file(out, f"{root}encode/encode_tiled.safetensors")
print({k: tuple(v.shape) for k, v in out.items()})
for name in ["tiny_kl4", "tiny_kl16"]:
    for case in ["gradient", "noise"]:
        print(name, case, "tiled vs untiled mean", (out[f"tiled_mean_{name}_{case}"] - inputs[f"mean_{name}_{case}"]).abs().max().item())
print("taesd tiled vs untiled", (out["taesd_tiled_wide"] - out["taesd_wide"]).abs().max().item())
