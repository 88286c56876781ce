#!/usr/bin/env python3
"""`latentty bench local` for the video decoders against their references on this CPU, one seeded
latent, random weights with the real models' shapes (their FLOPs and memory), the same thread count.

  --model hunyuanvideo  diffusers' AutoencoderKLHunyuanVideo() (the real config), vae.decode(z) with
                        diffusers' defaults (framewise decoding on; spatial tiling with --tile)
  --model taehv         taehv.py's TAEHV (widths [256,128,64,64]), decode_video(z, parallel=True);
                        --streaming also times its frame-by-frame form (parallel=False)

taehv.py is not on PyPI: pass the file from github.com/madebyollin/taehv with --taehv. Every engine runs
in a process of its own (one warm-up, then the best of --repeats; 0: the warm-up itself is timed), with
the child's ru_maxrss as its peak RSS (the PyTorch rows include importing torch). A manual benchmark,
not in CI:

    pip install torch diffusers
    swift build -c release --product latentty
    python scripts/bench_video.py --model hunyuanvideo --frames 3 --height 16 --width 16
    python scripts/bench_video.py --model hunyuanvideo --frames 3 --height 40 --width 64 --tile --repeats 0
    python scripts/bench_video.py --model taehv --taehv ~/taehv/taehv.py --frames 16 --height 40 --width 64

--frames/--height/--width are the latent's (16 channels): T latent frames give 4T-3 frames of 8H x 8W.
Prints one markdown table (or JSON with --json): engine, seconds, seconds to the first frame where the
engine hands frames out early, peak RSS, and the ratio to the reference.
"""
import argparse, json, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_peers import ROOT, last_line, machine, run_child  # noqa: E402


def seeded_latent(args, ntchw=False):
    import torch

    shape = (1, args.frames, 16, args.height, args.width) if ntchw else (1, 16, args.frames, args.height, args.width)
    return torch.randn(*shape, generator=torch.Generator("cpu").manual_seed(13))


def reference_decoder(args):
    """The reference's decode of the seeded latent, as a function of no arguments."""
    import torch

    torch.manual_seed(0)
    if args.model == "hunyuanvideo":
        from diffusers import AutoencoderKLHunyuanVideo

        vae = AutoencoderKLHunyuanVideo().eval()
        if args.tile:
            vae.enable_tiling()
        latent = seeded_latent(args)
        return lambda: vae.decode(latent).sample
    import importlib.util

    spec = importlib.util.spec_from_file_location("taehv", args.taehv)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tae = module.TAEHV(checkpoint_path=None).eval()
    latent = seeded_latent(args, ntchw=True)
    return lambda: tae.decode_video(latent, parallel=not args.worker_streaming, show_progress_bar=False)


def work(args):
    """Child: times the reference and prints one JSON line."""
    import torch

    torch.set_num_threads(args.threads)
    decode = reference_decoder(args)
    times = []
    with torch.inference_mode():
        for _ in range(args.repeats + 1):
            start = time.perf_counter()
            decode()
            times.append(time.perf_counter() - start)
    print(json.dumps({"seconds": min(times[1:] or times)}))


def measure(label, command, threads, rows, notes):
    code, output, errors, peak = run_child(command, threads)
    try:
        result = json.loads(output.strip().splitlines()[-1]) if code == 0 else None
    except (IndexError, json.JSONDecodeError):
        result = None
    if result is None:
        notes.append(f"{label}: failed ({last_line(errors, code)})")
        return
    rows.append({"engine": label, "seconds": result["seconds"], "first_seconds": result.get("first_frame_seconds"),
                 "peak_rss_mib": round(peak), "form": result.get("form")})


def latentty_command(args):
    model = "hunyuanvideo" if args.model == "hunyuanvideo" else "taehv"
    command = [str(args.latentty), "bench", "local", "--model", model, "--frames", str(args.frames), "--height",
               str(8 * args.height), "--width", str(8 * args.width), "--repeats", str(args.repeats), "--threads",
               str(args.threads), "--json"]
    return command + (["--tile", "auto"] if args.tile else [])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["hunyuanvideo", "taehv"], default="hunyuanvideo")
    parser.add_argument("--frames", type=int, default=3, help="latent frames")
    parser.add_argument("--height", type=int, default=16, help="latent height")
    parser.add_argument("--width", type=int, default=16, help="latent width")
    parser.add_argument("--tile", action="store_true", help="hunyuanvideo: diffusers' spatial tiling; latentty --tile auto")
    parser.add_argument("--streaming", action="store_true", help="taehv: also time taehv.py's parallel=False form")
    parser.add_argument("--taehv", type=Path, help="taehv.py from github.com/madebyollin/taehv")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--latentty", type=Path, default=ROOT / ".build/release/latentty", help="the latentty binary")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker-streaming", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.model == "taehv" and not (args.taehv and args.taehv.exists()):
        parser.error("--model taehv needs --taehv PATH to taehv.py (github.com/madebyollin/taehv)")
    if args.worker:
        return work(args)

    rows, notes = [], []
    base = [sys.executable, __file__, "--worker", "--model", args.model, "--frames", str(args.frames), "--height",
            str(args.height), "--width", str(args.width), "--threads", str(args.threads), "--repeats", str(args.repeats)]
    base += ["--tile"] if args.tile else []
    base += ["--taehv", str(args.taehv)] if args.taehv else []
    reference = "diffusers" if args.model == "hunyuanvideo" else "taehv.py"
    measure(reference, base, args.threads, rows, notes)
    if args.streaming and args.model == "taehv":
        measure("taehv.py streaming", base + ["--worker-streaming"], args.threads, rows, notes)
    if args.latentty.exists():
        measure("latentty", latentty_command(args), args.threads, rows, notes)
    else:
        notes.append(f"no latentty binary at {args.latentty} (swift build -c release --product latentty)")
    best = next((row["seconds"] for row in rows if row["engine"] == reference), None)
    for row in rows:
        row["ratio_to_reference"] = row["seconds"] / best if best else None
    info = machine(argparse.Namespace(model=args.model, size=None, threads=args.threads, repeats=args.repeats), args.latentty)
    info["latent"] = [1, 16, args.frames, args.height, args.width]
    if args.json:
        print(json.dumps({"machine": info, "rows": rows, "notes": notes}))
        return
    versions = ", ".join(f"{name} {version}" for name, version in info["versions"].items() if version)
    print(f"{args.model}, latent {info['latent']} ({4 * args.frames - 3} frames of {8 * args.height}×{8 * args.width}), "
          f"{info['cpu']}, {info['cores']} cores, {args.threads} threads, oneDNN ISA {info['onednn_isa']}, {versions}, "
          f"{info['date']}\n")
    print("| engine | form | seconds | first frame s | peak RSS MiB | × reference |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        first = f"{row['first_seconds']:.2f}" if row["first_seconds"] is not None else "–"
        ratio = f"{row['ratio_to_reference']:.2f}" if row["ratio_to_reference"] else "–"
        print(f"| {row['engine']} | {row['form'] or '–'} | {row['seconds']:.2f} | {first} | {row['peak_rss_mib']} | {ratio} |")
    for note in notes:
        print(f"\n{note}")


if __name__ == "__main__":
    main()
