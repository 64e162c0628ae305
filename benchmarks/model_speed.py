"""Seconds per frame of tracking mode and peak memory, per backbone, on the CPU (or CUDA).

On CUDA the passes run under fp16 autocast, as the tracker runs them, and the memory column
is the GPU's peak allocation instead of the process's resident memory.

Each configuration runs in its own process so its peak resident memory is its own.
Prints a Markdown table. Example:
    python benchmarks/model_speed.py --threads 2 --frames 5
"""

import argparse
import json
import resource
import subprocess
import sys
import time

import torch

SETTINGS = {
    "torchvision default (min_size 800)": {},
    "native 480p (min_size 480)": {"min_size": 480, "max_size": 854},
}


def measure(name: str, setting: str, frames: int, threads: int, device: str) -> dict:
    import dettrack

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = dettrack.build_model(name, **SETTINGS[setting]).to(device).eval()
    image = torch.rand(3, 480, 854, device=device)
    box = torch.tensor([300.0, 150.0, 500.0, 350.0], device=device)
    cuda = device == "cuda"
    with torch.inference_mode(), torch.autocast(torch.device(device).type, dtype=torch.float16, enabled=cuda):
        if cuda:
            model.make_template(image, box)  # kernel selection and allocator warm-up
            torch.cuda.synchronize()
        start = time.perf_counter()
        template = model.make_template(image, box)
        if cuda:
            torch.cuda.synchronize()
        template_s = time.perf_counter() - start
        model.track([image], template)  # warm-up
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(frames):
            model.track([image], template)
        if cuda:
            torch.cuda.synchronize()
        per_frame = (time.perf_counter() - start) / frames
    peak_mb = torch.cuda.max_memory_allocated() / 2**20 if cuda else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"backbone": name, "setting": setting, "template_s": template_s, "frame_s": per_frame, "peak_mb": peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backbones", nargs="+", default=["resnet50_fpn", "mobilenet_v2_fpn"])
    parser.add_argument("--frames", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--one", nargs=2, metavar=("BACKBONE", "SETTING"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], args.one[1], args.frames, args.threads, args.device)))
        return
    print(f"tracking mode, 480x854 frames, {args.threads} threads, {args.device}, mean of {args.frames} frames\n")
    memory = "peak GPU memory (MB)" if args.device == "cuda" else "peak RSS (MB)"
    print(f"| backbone | input scaling | template (s) | s / frame | FPS | {memory} |")
    print("|---|---|---|---|---|---|")
    for name in args.backbones:
        for setting in SETTINGS:
            cmd = [sys.executable, __file__, "--one", name, setting, "--frames", str(args.frames),
                   "--threads", str(args.threads), "--device", args.device]
            r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
            print(f"| {name} | {setting} | {r['template_s']:.3f} | {r['frame_s']:.4f} | {1 / r['frame_s']:.2f} | {r['peak_mb']:.0f} |")


if __name__ == "__main__":
    main()
