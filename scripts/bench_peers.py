#!/usr/bin/env python3
"""`latentty bench local` against its CPU peers — PyTorch, ONNX Runtime and OpenVINO — on one
decoder or encoder with random weights (the real one's FLOPs and memory), one seeded latent (or
image), the same thread count.

  --model sd             diffusers' AutoencoderKL with the SD v1 configuration (as scripts/bench_torch.py): its decoder
  --model taesd          diffusers' AutoencoderTiny() with its default configuration: its decoder
  --model sd-encoder     the same AutoencoderKL's encoder: `vae.encode(x).latent_dist.mean` of one image
  --model taesd-encoder  AutoencoderTiny()'s encoder: `vae.encode(x).latents`

The decoder (`vae.decode(z).sample`) or encoder is exported once per model and size to ONNX (the
TorchScript exporter, opset 17) under $TMPDIR/latentty-bench-peers/, and ONNX Runtime and OpenVINO both
run that file. Every engine runs in a process of its own: one warm-up call, then the best of --repeats
timed ones (0: the warm-up itself), with the child's ru_maxrss as its peak RSS. This script's own process
stays small (no torch), since a child's ru_maxrss starts at its parent's. PyTorch's RSS includes
importing torch and diffusers (about 0.7 GiB with PyPI's CUDA build of torch). A manual benchmark, not in CI:

    pip install torch diffusers onnx onnxruntime openvino
    swift build -c release --product latentty
    python scripts/bench_peers.py --size 512
    python scripts/bench_peers.py --size 512 --bf16 --repeats 2 --threads 4
    python scripts/bench_peers.py --model taesd --size 1024 --json
    python scripts/bench_peers.py --model sd-encoder --size 512 --bf16 --repeats 2

Prints one markdown table (or, with --json, JSON lines): engine, precision, seconds, peak RSS and the
ratio to the fastest of PyTorch, ONNX Runtime and OpenVINO at the same precision. Without the latentty
binary (--latentty) the peers alone are timed.
"""
import argparse, datetime, importlib.metadata, json, os, re, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["torch", "diffusers", "onnx", "onnxruntime", "openvino"]
PEERS = {"torch": "PyTorch", "ort": "ONNX Runtime", "openvino": "OpenVINO"}


# The workers: each runs in a child process and imports only what its engine needs.

def build_vae(model):
    import torch
    from diffusers import AutoencoderKL, AutoencoderTiny

    torch.manual_seed(0)
    if model.startswith("taesd"):
        return AutoencoderTiny().eval()
    return AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4,
        down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
        block_out_channels=[128, 256, 512, 512], layers_per_block=2, norm_num_groups=32, sample_size=512,
    ).eval()


def is_encoder(model):
    return model.endswith("-encoder")


def onnx_names(model):
    """The exported graph's file and its input's .npy in the cache folder."""
    return ("encoder.onnx", "image.npy") if is_encoder(model) else ("decoder.onnx", "latent.npy")


def seeded_input(model, size):
    """A seeded latent for a decoder; for an encoder, a seeded image in [-1, 1] (noise clamped to the
    pixel range, as `latentty bench local` makes it: the arithmetic does not depend on the picture)."""
    import torch

    generator = torch.Generator("cpu").manual_seed(13)
    if is_encoder(model):
        return torch.randn(1, 3, size, size, generator=generator).clamp(-1, 1)
    return torch.randn(1, 4, size // 8, size // 8, generator=generator)


def run_vae(vae, model, x):
    """What each model times: the decoder's image, or the encoder's latent (the Gaussian's mean for
    AutoencoderKL, what `latentty encode` returns by default)."""
    if model == "sd-encoder":
        return vae.encode(x).latent_dist.mean
    if model == "taesd-encoder":
        return vae.encode(x).latents
    return vae.decode(x).sample


def export(args, folder):
    """Writes the model's .onnx and its input's .npy into folder (each through a temporary name, so a
    cut-short export leaves no cache behind)."""
    import numpy, torch

    class Graph(torch.nn.Module):
        def __init__(self, vae):
            super().__init__()
            self.vae = vae

        def forward(self, x):
            return run_vae(self.vae, args.model, x)

    folder.mkdir(parents=True, exist_ok=True)
    graph, data = onnx_names(args.model)
    x = seeded_input(args.model, args.size)
    with torch.inference_mode():
        torch.onnx.export(Graph(build_vae(args.model)), (x,), folder / f"{graph}.part", dynamo=False,
                          opset_version=17, input_names=["input"], output_names=["output"])
    with open(folder / f"{data}.part", "wb") as file:
        numpy.save(file, x.numpy())
    for name in [data, graph]:
        os.replace(folder / f"{name}.part", folder / name)


def torch_engine(args, folder):
    import torch

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    dtype = {"f32": torch.float32, "bf16": torch.bfloat16}[args.precision]
    vae = build_vae(args.model).to(dtype)
    x = seeded_input(args.model, args.size).to(dtype)

    def call():
        with torch.inference_mode():
            run_vae(vae, args.model, x)
    return call


def ort_engine(args, folder):
    import numpy, onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    graph, data = onnx_names(args.model)
    session = ort.InferenceSession(str(folder / graph), options, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: numpy.load(folder / data)}
    return lambda: session.run(None, feed)


def openvino_engine(args, folder):
    import numpy, openvino as ov

    core = ov.Core()
    if args.precision == "bf16" and "BF16" not in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
        print(json.dumps({"skip": "OpenVINO bf16: the CPU plugin lists no BF16 in OPTIMIZATION_CAPABILITIES"}))
        sys.exit(0)
    graph, data = onnx_names(args.model)
    compiled = core.compile_model(core.read_model(folder / graph), "CPU", {
        "INFERENCE_NUM_THREADS": args.threads, "INFERENCE_PRECISION_HINT": args.precision, "PERFORMANCE_HINT": "LATENCY"})
    request = compiled.create_infer_request()
    x = numpy.load(folder / data)
    return lambda: request.infer({0: x})


def work(args, folder):
    if args.worker == "export":
        export(args, folder)
        return
    call = {"torch": torch_engine, "ort": ort_engine, "openvino": openvino_engine}[args.worker](args, folder)
    start = time.perf_counter(); call(); first = time.perf_counter() - start
    times = []
    for _ in range(max(0, args.repeats)):
        start = time.perf_counter(); call(); times.append(time.perf_counter() - start)
    print(json.dumps({"first_seconds": first, "seconds": min(times) if times else first}))


# The parent: spawns each engine, gathers the rows, prints them.

def run_child(command, threads):
    """(returncode, stdout, stderr, the child's peak RSS in MiB)."""
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors,
                                 env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
        output = child.stdout.read().decode()
        child.stdout.close()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        return child.returncode, output, errors.read().decode(errors="replace"), usage.ru_maxrss / 1024


def last_line(errors, code):
    return errors.strip().splitlines()[-1] if errors.strip() else f"exit status {code}"


def measure(label, precision, command, threads, rows, notes):
    """Runs one engine's child and appends its row, or a note saying why there is none."""
    code, output, errors, peak = run_child(command, threads)
    try:
        result = json.loads(output.strip().splitlines()[-1]) if code == 0 else None
    except (IndexError, json.JSONDecodeError):
        result = None
    if result is None:
        notes.append(f"{label} {precision}: failed ({last_line(errors, code)})")
    elif "skip" in result:
        notes.append(result["skip"])
    else:
        rows.append({"engine": label, "precision": precision, "seconds": result["seconds"],
                     "first_seconds": result["first_seconds"], "peak_rss_mib": round(peak)})


def machine(args, latentty):
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = re.search(r"^Model name:\s*(.+)$", lscpu, re.M)
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    isa = None
    if latentty.exists():
        doctor = subprocess.run([str(latentty), "doctor", "--graphics", "none"], capture_output=True, text=True,
                                stdin=subprocess.DEVNULL, timeout=60).stdout
        found = re.search(r"^cpu isa\s+(.+)$", doctor, re.M)
        isa = found.group(1).strip() if found else None
    return {"model": args.model, "size": args.size, "cpu": model.group(1).strip() if model else "unknown",
            "cores": os.cpu_count(), "threads": args.threads, "repeats": args.repeats,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "versions": versions, "onednn_isa": isa}


def add_ratios(rows):
    fastest = {}
    for row in rows:
        if row["engine"] in PEERS.values():
            fastest[row["precision"]] = min(row["seconds"], fastest.get(row["precision"], float("inf")))
    for row in rows:
        best = fastest.get(row["precision"])
        row["ratio_to_fastest_peer"] = row["seconds"] / best if best else None


def print_markdown(info, rows, notes):
    versions = ", ".join(f"{name} {version}" for name, version in info["versions"].items() if version)
    print(f"{info['model']}{'' if is_encoder(info['model']) else ' decoder'} at {info['size']}², {info['cpu']}, {info['cores']} cores, {info['threads']} threads, "
          f"best of {info['repeats']} after a warm-up, {info['date']}; {versions}; oneDNN ISA: {info['onednn_isa'] or 'n/a'}")
    print()
    print("| engine | precision | seconds | peak RSS MiB | ratio to fastest peer |")
    print("|---|---|---:|---:|---:|")
    for row in rows:
        ratio = f"{row['ratio_to_fastest_peer']:.2f}×" if row["ratio_to_fastest_peer"] else "–"
        print(f"| {row['engine']} | {row['precision']} | {row['seconds']:.3f} | {row['peak_rss_mib']} | {ratio} |")
    for note in notes:
        print(f"\nNote: {note}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="sd", choices=["sd", "taesd", "sd-encoder", "taesd-encoder"])
    parser.add_argument("--size", type=int, default=512, help="image side in pixels, a multiple of 8 (default 512)")
    parser.add_argument("--threads", type=int, default=2, help="threads for every engine (default 2)")
    parser.add_argument("--repeats", type=int, default=1, help="timed calls after the warm-up; the best counts (default 1)")
    parser.add_argument("--bf16", action="store_true", help="also time bf16: PyTorch, OpenVINO (where the CPU has it), latentty")
    parser.add_argument("--latentty", type=Path, default=ROOT / ".build/release/latentty", help="the latentty binary")
    parser.add_argument("--json", action="store_true", help="print JSON lines: the machine, then one per row and note")
    parser.add_argument("--worker", choices=["export", *PEERS], help=argparse.SUPPRESS)
    parser.add_argument("--precision", default="f32", choices=["f32", "bf16"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.size <= 0 or args.size % 8:
        parser.error("--size must be a positive multiple of 8")
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    folder = Path(tempfile.gettempdir()) / "latentty-bench-peers" / f"{args.model}-{args.size}"
    if args.worker:
        work(args, folder)
        return

    precisions = ["f32", "bf16"] if args.bf16 else ["f32"]
    common = ["--model", args.model, "--size", str(args.size), "--threads", str(args.threads), "--repeats", str(args.repeats)]

    def worker(name, precision):
        return [sys.executable, __file__, "--worker", name, "--precision", precision, *common]

    rows, notes = [], []
    exported = all((folder / name).exists() for name in onnx_names(args.model))
    if not exported:
        code, _, errors, _ = run_child(worker("export", "f32"), args.threads)
        exported = code == 0
        if not exported:
            notes.append(f"ONNX export failed ({last_line(errors, code)}), so no ONNX Runtime or OpenVINO rows")
    for precision in precisions:
        measure(PEERS["torch"], precision, worker("torch", precision), args.threads, rows, notes)
        if exported and precision == "f32":
            measure(PEERS["ort"], precision, worker("ort", precision), args.threads, rows, notes)
        if exported:
            measure(PEERS["openvino"], precision, worker("openvino", precision), args.threads, rows, notes)
    if args.latentty.exists():
        for precision in precisions:
            command = [str(args.latentty), "bench", "local", "--size", str(args.size), "--repeats", str(args.repeats),
                       "--threads", str(args.threads), "--precision", precision, "--json"]
            measure("latentty", precision, command + ["--model", args.model], args.threads, rows, notes)
    else:
        notes.append(f"no latentty binary at {args.latentty} (swift build -c release --product latentty), so no latentty rows")
    add_ratios(rows)
    info = machine(args, args.latentty)
    if args.json:
        for line in [info, *rows, *({"note": note} for note in notes)]:
            print(json.dumps(line))
    else:
        print_markdown(info, rows, notes)


if __name__ == "__main__":
    main()
