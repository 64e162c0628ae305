"""The training loop: joint tracking + detection, one process or many (torchrun DDP).

Checkpoints every N iterations hold the model, optimizer, LR schedule and RNG state;
the data position is the iteration itself (see stream.py), so a run killed and
resumed ends with the same weights as one that was never interrupted.
"""

import math
import time
from pathlib import Path
from typing import Any, Callable, Optional

import torch
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm import tqdm

from ..io_utils import atomic_write
from ..model import DetTrack, build_model, save_checkpoint
from ..model.light import build_light_model
from . import distributed
from .checkpoints import latest_training_state, restore_rng, rng_state, save_training_state
from .config import dump_config
from .finetune import load_initial_weights, train_only
from .stream import TrainingStream, first_item

StreamFactory = Callable[[dict[str, Any], int], TrainingStream]
Validator = Callable[[DetTrack], dict[str, float]]


def make_model(config: dict[str, Any], source: str = "config") -> torch.nn.Module:
    """The recipe's model (a DetTrack from build_model, or the light family's model from its
    detector file), naming a bad key instead of a TypeError, carrying the recipe's tracking
    section as the model's tracking_defaults."""
    try:
        if config["model"].get("family") == "light":
            model = build_light_model(**{k: v for k, v in config["model"].items() if k != "family"})
        else:
            model = build_model(**config["model"])
    except TypeError as err:
        raise ValueError(f"{source}: bad model section: {err}") from err
    model.tracking_defaults = dict(config.get("tracking") or {})
    return model


def make_optimizer(model: torch.nn.Module, train: dict[str, Any]) -> torch.optim.Optimizer:
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim <= 1 else decay).append(p)
    groups = [{"params": decay, "weight_decay": train["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}]
    if train["optimizer"] == "sgd":
        return torch.optim.SGD(groups, lr=train["lr"], momentum=train["momentum"])
    if train["optimizer"] == "adamw":
        return torch.optim.AdamW(groups, lr=train["lr"])
    raise ValueError(f"train.optimizer must be sgd or adamw, got {train['optimizer']!r}")


def lr_factor(iteration: int, train: dict[str, Any]) -> float:
    """Linear warm-up, then constant or cosine decay to zero."""
    warmup = train["warmup_iterations"]
    if iteration < warmup:
        return (iteration + 1) / warmup
    if train["schedule"] == "constant":
        return 1.0
    if train["schedule"] != "cosine":
        raise ValueError(f"train.schedule must be cosine or constant, got {train['schedule']!r}")
    progress = (iteration - warmup) / max(1, train["iterations"] - warmup)
    return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def train(
    config: dict[str, Any],
    out_dir: Path,
    make_stream: StreamFactory,
    validate: Optional[Validator] = None,
    resume: bool = False,
    device: str = "auto",
    quiet: bool = False,
    stop_after: Optional[int] = None,
) -> Path:
    """Run (or resume) a recipe; returns the path of the final model checkpoint.

    stop_after: end after this many iterations of this call (to split a run in parts);
    the checkpoint at that point lets `resume=True` carry on.
    """
    env = distributed.setup(device)
    settings = config["train"]
    out_dir = Path(out_dir)
    ckpt_dir = out_dir / "checkpoints"
    if settings["threads"]:
        torch.set_num_threads(settings["threads"])
    torch.manual_seed(settings["seed"])
    model = make_model(config).to(env.device).train()
    state = latest_training_state(ckpt_dir) if resume else None
    if state is None and settings["init_from"]:
        load_initial_weights(model, settings["init_from"], settings["init_exclude"])
    train_only(model, settings["trainable"])
    optimizer = make_optimizer(model, settings)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda i: lr_factor(i, settings))
    use_amp = bool(settings["amp"]) and env.device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)

    start = 0
    if state is not None:
        if state["config"] != model.config:
            raise ValueError(f"{state['path']} was trained with another model config; use a fresh --out")
        model.load_state_dict({k: v.to(model.state_dict()[k].dtype) for k, v in state["state_dict"].items()})
        extra = state["extra"]
        optimizer.load_state_dict(extra["optimizer"])
        scheduler.load_state_dict(extra["scheduler"])
        scaler.load_state_dict(extra["scaler"])
        restore_rng(extra["rng"][env.rank] if env.rank < len(extra["rng"]) else extra["rng"][0])
        start = int(extra["iteration"])
    else:
        if resume and env.is_main and not quiet:
            print(f"no checkpoint in {ckpt_dir}: starting from iteration 0")
        torch.manual_seed(settings["seed"] + env.rank)  # per-rank RNG for RoI sampling etc.

    if env.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
        with atomic_write(out_dir / "config.yaml") as f:
            f.write(dump_config(config))

    net: torch.nn.Module = model
    if env.world_size > 1:
        net = DistributedDataParallel(
            model, device_ids=[env.local_rank] if env.device.type == "cuda" else None, find_unused_parameters=True
        )
    stream = make_stream(config, env.rank)
    end = settings["iterations"] if stop_after is None else min(settings["iterations"], start + stop_after)
    loader = DataLoader(
        stream,
        sampler=range(start, end),
        batch_size=1,
        collate_fn=first_item,
        num_workers=settings["num_workers"],
        generator=torch.Generator(),  # keep the global RNG untouched: exact resume
        persistent_workers=False,
    )
    writer = _tensorboard(out_dir) if env.is_main else None
    bar = tqdm(total=settings["iterations"], initial=start, desc="train", unit="it", disable=quiet or not env.is_main)
    tick = time.perf_counter()
    iteration = start
    for iteration, (mode, inputs) in zip(range(start, end), loader):
        with torch.autocast(env.device.type, dtype=torch.float16, enabled=use_amp):
            losses = _forward(net, mode, inputs, env.device)
        loss = sum(value * float(settings["loss_weights"].get(name, 1.0)) for name, value in losses.items())
        if not torch.isfinite(loss):
            raise FloatingPointError(f"iteration {iteration}: {mode} loss is not finite ({ {k: float(v) for k, v in losses.items()} })")
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if settings["grad_clip"]:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings["grad_clip"])
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
        done = iteration + 1
        bar.update(1)
        if env.is_main and (done % settings["log_every"] == 0 or done == end):
            now = time.perf_counter()
            speed = settings["log_every"] / max(now - tick, 1e-9)
            tick = now
            values = {k: float(v.detach()) for k, v in losses.items()}
            bar.set_postfix(mode=mode, loss=f"{float(loss.detach()):.3f}", lr=f"{scheduler.get_last_lr()[0]:.2e}")
            if writer is not None:
                for k, v in values.items():
                    writer.add_scalar(f"{mode}/{k}", v, done)
                writer.add_scalar(f"{mode}/total", float(loss.detach()), done)
                writer.add_scalar("lr", scheduler.get_last_lr()[0], done)
                writer.add_scalar("iter_per_s", speed, done)
        if done % settings["checkpoint_every"] == 0 or done == end:
            _checkpoint(model, optimizer, scheduler, scaler, done, ckpt_dir, settings["keep_last"], env)
        if validate is not None and env.is_main and config["val"]["every"] and done % config["val"]["every"] == 0:
            _validate(model, validate, writer, done, bar)
    bar.close()
    final = out_dir / "model.pt"
    if env.is_main and iteration + 1 >= settings["iterations"]:
        save_checkpoint(model.eval(), final, extra={"iteration": settings["iterations"]})
        every = config["val"]["every"]
        if validate is not None and every and settings["iterations"] % every:
            _validate(model, validate, writer, settings["iterations"], bar)
    if writer is not None:
        writer.close()
    distributed.barrier()
    distributed.cleanup()
    return final


def _forward(net: torch.nn.Module, mode: str, inputs: tuple, device: torch.device) -> dict[str, torch.Tensor]:
    if mode == "detect":
        images, targets = inputs
        return net([i.to(device) for i in images], [{k: v.to(device) for k, v in t.items()} for t in targets])
    templates, boxes, searches, targets = inputs
    return net(
        [i.to(device) for i in searches],
        [{k: v.to(device) for k, v in t.items()} for t in targets],
        template_images=[i.to(device) for i in templates],
        template_boxes=boxes.to(device),
    )


def _checkpoint(model, optimizer, scheduler, scaler, iteration, folder, keep_last, env) -> None:
    """Gather every rank's RNG state, then rank 0 writes one checkpoint."""
    states = [rng_state()]
    if env.world_size > 1:
        states = [None] * env.world_size
        torch.distributed.all_gather_object(states, rng_state())
    if env.is_main:
        extra = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "scaler": scaler.state_dict(), "rng": states}
        save_training_state(folder, model, iteration, extra, keep_last)
    distributed.barrier()


def _validate(model: DetTrack, validate: Validator, writer, iteration: int, bar) -> None:
    model.eval()
    metrics = validate(model)
    # the validator's tracker switched the weights to channels-last for inference; training
    # (and DDP's gradient buckets, on the main rank only) carries on in its own layout
    model.to(memory_format=torch.contiguous_format).train()
    for k, v in metrics.items():
        if writer is not None:
            writer.add_scalar(f"val/{k}", v, iteration)
    bar.write(f"iteration {iteration}: " + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()))


def _tensorboard(out_dir: Path):
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(log_dir=str(out_dir / "tensorboard"))
