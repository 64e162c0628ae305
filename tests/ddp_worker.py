"""Run by test_train_loop under torchrun: a few DDP iterations, then each rank saves its weights."""

import sys
from pathlib import Path

import torch
import torch.distributed as dist

from dettrack.train import loop
from test_train_loop import make_stream, tiny_config

out = Path(sys.argv[1])
config = tiny_config(iterations=3, checkpoint_every=100, threads=1)
captured = {}
original = loop.DistributedDataParallel


def capture(model, **kwargs):
    captured["model"] = model
    if dist.get_rank() == 0:
        torch.save({k: v.clone() for k, v in model.state_dict().items()}, out / "start.pt")
    return original(model, **kwargs)


loop.DistributedDataParallel = capture
loop.train(config, out / "run", make_stream, quiet=True, device="cpu")
torch.save(captured["model"].state_dict(), out / f"rank{int(__import__('os').environ['RANK'])}.pt")
