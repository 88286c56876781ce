"""Writes taehv_narrow.pth: the same state dict as taehv_narrow.safetensors, saved with torch.save
(the format madebyollin/taehv publishes its checkpoints in). usage: python MAKE_PTH.py"""
import collections, os
import torch
from safetensors.torch import load_file

here = os.path.dirname(os.path.abspath(__file__))
sd = load_file(os.path.join(here, "taehv_narrow.safetensors"))
torch.save(collections.OrderedDict(sorted(sd.items())), os.path.join(here, "taehv_narrow.pth"))
