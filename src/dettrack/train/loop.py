"""The training loop: joint tracking + detection, one process or many (torchrun DDP).

Checkpoints every N iterations hold the model, optimizer, LR schedule and RNG state;
the data position is the iteration itself (see stream.py), so a run killed and
resumed ends with the same weights as one that was never interrupted.
"""

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import torch
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm import tqdm

from ..io_utils import atomic_write
from ..model import save_checkpoint
from ..model.families import family_of
from ..model.interface import TrackingModel
from . import distributed
from .checkpoints import latest_training_state, restore_rng, rng_state, save_training_state
from .config import dump_config
from .finetune import load_initial_weights, train_only
from .stream import TrainingStream, first_item

StreamFactory = Callable[[dict[str, Any], int], TrainingStream]
Validator = Callable[[TrackingModel], dict[str, float]]


def make_model(config: dict[str, Any], source: str = "config") -> torch.nn.Module:
    """The recipe's model, built by its family (model.families: a DetTrack from build_model, or the
    light family's model from its detector file), naming a bad key instead of a TypeError, carrying the recipe's tracking
    section as the model's tracking_defaults."""
    try:
        model = family_of(config["model"]).build_for_training(config["model"])
    except TypeError as err:
        raise ValueError(f"{source}: bad model section: {err}") from err
    model.tracking_defaults = dict(config.get("tracking") or {})
    return model


def make_optimizer(model: torch.nn.Module, train: dict[str, Any]) -> torch.optim.Optimizer:
    """SGD or AdamW (train.optimizer) with weight decay on weights only, not on biases and norms."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim <= 1 else decay).append(p)
    groups = [{"params": decay, "weight_decay": train["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}]
    if train["optimizer"] == "adamw":
        return torch.optim.AdamW(groups, lr=train["lr"])
    return torch.optim.SGD(groups, lr=train["lr"], momentum=train["momentum"])


def lr_factor(iteration: int, train: dict[str, Any]) -> float:
    """Linear warm-up, then constant or cosine decay to zero."""
    warmup = train["warmup_iterations"]
    if iteration < warmup:
        return (iteration + 1) / warmup
    if train["schedule"] == "constant":
        return 1.0
    progress = (iteration - warmup) / max(1, train["iterations"] - warmup)
    return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


@dataclass
class _Run:
    """What one training process holds: the model, what runs it (the model or its DDP wrapper),
    the optimizer, LR schedule and AMP scaler."""

    env: distributed.Dist
    model: TrackingModel
    net: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    scaler: torch.amp.GradScaler
    use_amp: bool


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
    """Run (or resume) a recipe (a config from train.config.load_config); returns the path of the
    final model checkpoint.

    stop_after: end after this many iterations of this call (to split a run in parts);
    the checkpoint at that point lets `resume=True` carry on.
    """
    env = distributed.setup(device)
    settings = config["train"]
    out_dir = Path(out_dir)
    ckpt_dir = out_dir / "checkpoints"
    state = latest_training_state(ckpt_dir) if resume else None
    run = _setup(config, env, init_from=state is None)
    start = _resume(run, state) if state is not None else 0
    if state is None:
        if resume and env.is_main and not quiet:
            print(f"no checkpoint in {ckpt_dir}: starting from iteration 0")
        torch.manual_seed(settings["seed"] + env.rank)  # per-rank RNG for RoI sampling etc.
    if env.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
        with atomic_write(out_dir / "config.yaml") as f:
            f.write(dump_config(config))
    if env.world_size > 1:
        run.net = DistributedDataParallel(
            run.model, device_ids=[env.local_rank] if env.device.type == "cuda" else None, find_unused_parameters=True
        )
    end = settings["iterations"] if stop_after is None else min(settings["iterations"], start + stop_after)
    log = _Log(out_dir, settings, start, quiet, env.is_main)
    every = config["val"]["every"]
    iteration = start
    for iteration, (mode, inputs) in zip(range(start, end), _loader(make_stream(config, env.rank), start, end, settings)):
        losses, loss = _step(run, mode, inputs, settings, iteration)
        done = iteration + 1
        log.step(done, end, mode, losses, loss, run.scheduler.get_last_lr()[0])
        if done % settings["checkpoint_every"] == 0 or done == end:
            _checkpoint(run, done, ckpt_dir, settings["keep_last"])
        if validate is not None and env.is_main and every and done % every == 0:
            _validate(run.model, validate, log, done)
    final = out_dir / "model.pt"
    if env.is_main and iteration + 1 >= settings["iterations"]:
        save_checkpoint(run.model.eval(), final, extra={"iteration": settings["iterations"]})
        if validate is not None and every and settings["iterations"] % every:
            _validate(run.model, validate, log, settings["iterations"])
    log.close()
    distributed.barrier()
    distributed.cleanup()
    return final


def _setup(config: dict[str, Any], env: distributed.Dist, init_from: bool) -> _Run:
    """The model (with train.init_from's weights when `init_from`), its trainable parts, optimizer,
    schedule and scaler, seeded so that every rank starts from the same weights."""
    settings = config["train"]
    if settings["threads"]:
        torch.set_num_threads(settings["threads"])
    torch.manual_seed(settings["seed"])
    model = make_model(config).to(env.device).train()
    if init_from and settings["init_from"]:
        load_initial_weights(model, settings["init_from"], settings["init_exclude"])
    train_only(model, settings["trainable"])
    optimizer = make_optimizer(model, settings)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda i: lr_factor(i, settings))
    use_amp = bool(settings["amp"]) and env.device.type == "cuda"
    return _Run(env, model, model, optimizer, scheduler, torch.amp.GradScaler("cuda", enabled=use_amp), use_amp)


def _resume(run: _Run, state: dict[str, Any]) -> int:
    """Load a training checkpoint's weights, optimizer, schedule, scaler and this rank's RNG; its iteration."""
    if state["config"] != run.model.config:
        raise ValueError(f"{state['path']} was trained with another model config; use a fresh --out")
    own = run.model.state_dict()
    run.model.load_state_dict({k: v.to(own[k].dtype) for k, v in state["state_dict"].items()})
    extra = state["extra"]
    run.optimizer.load_state_dict(extra["optimizer"])
    run.scheduler.load_state_dict(extra["scheduler"])
    run.scaler.load_state_dict(extra["scaler"])
    restore_rng(extra["rng"][run.env.rank] if run.env.rank < len(extra["rng"]) else extra["rng"][0])
    return int(extra["iteration"])


def _loader(stream: TrainingStream, start: int, end: int, settings: dict[str, Any]) -> DataLoader:
    """The batches of iterations [start, end): the data position is the iteration itself."""
    return DataLoader(
        stream,
        sampler=range(start, end),
        batch_size=1,
        collate_fn=first_item,
        num_workers=settings["num_workers"],
        generator=torch.Generator(),  # keep the global RNG untouched: exact resume
        persistent_workers=False,
    )


def _step(run: _Run, mode: str, inputs: tuple, settings: dict[str, Any], iteration: int) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """One optimisation step: the weighted loss, backward, gradient clipping, optimizer and LR step."""
    with torch.autocast(run.env.device.type, dtype=torch.float16, enabled=run.use_amp):
        losses = _forward(run.net, mode, inputs, run.env.device)
    loss = sum(value * float(settings["loss_weights"].get(name, 1.0)) for name, value in losses.items())
    if not torch.isfinite(loss):
        raise FloatingPointError(f"iteration {iteration}: {mode} loss is not finite ({ {k: float(v) for k, v in losses.items()} })")
    run.optimizer.zero_grad(set_to_none=True)
    run.scaler.scale(loss).backward()
    if settings["grad_clip"]:
        run.scaler.unscale_(run.optimizer)
        torch.nn.utils.clip_grad_norm_(run.model.parameters(), settings["grad_clip"])
    run.scaler.step(run.optimizer)
    run.scaler.update()
    run.scheduler.step()
    return losses, loss


class _Log:
    """Progress bar and TensorBoard scalars (losses, learning rate, speed, validation) on the main rank."""

    def __init__(self, out_dir: Path, settings: dict[str, Any], start: int, quiet: bool, main: bool) -> None:
        self.every = settings["log_every"]
        self.main = main
        self.writer = _tensorboard(out_dir) if main else None
        self.bar = tqdm(total=settings["iterations"], initial=start, desc="train", unit="it", disable=quiet or not main)
        self.tick = time.perf_counter()

    def step(self, done: int, end: int, mode: str, losses: dict[str, torch.Tensor], loss: torch.Tensor, lr: float) -> None:
        self.bar.update(1)
        if not self.main or (done % self.every and done != end):
            return
        now = time.perf_counter()
        speed = self.every / max(now - self.tick, 1e-9)
        self.tick = now
        self.bar.set_postfix(mode=mode, loss=f"{float(loss.detach()):.3f}", lr=f"{lr:.2e}")
        for k, v in losses.items():
            self.writer.add_scalar(f"{mode}/{k}", float(v.detach()), done)
        self.writer.add_scalar(f"{mode}/total", float(loss.detach()), done)
        self.writer.add_scalar("lr", lr, done)
        self.writer.add_scalar("iter_per_s", speed, done)

    def validation(self, iteration: int, metrics: dict[str, float]) -> None:
        for k, v in metrics.items():
            self.writer.add_scalar(f"val/{k}", v, iteration)
        self.bar.write(f"iteration {iteration}: " + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()))

    def close(self) -> None:
        self.bar.close()
        if self.writer is not None:
            self.writer.close()


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


def _checkpoint(run: _Run, iteration: int, folder: Path, keep_last: int) -> None:
    """Gather every rank's RNG state, then rank 0 writes one checkpoint."""
    states = [rng_state()]
    if run.env.world_size > 1:
        states = [None] * run.env.world_size
        torch.distributed.all_gather_object(states, rng_state())
    if run.env.is_main:
        extra = {
            "optimizer": run.optimizer.state_dict(), "scheduler": run.scheduler.state_dict(),
            "scaler": run.scaler.state_dict(), "rng": states,
        }
        save_training_state(folder, run.model, iteration, extra, keep_last)
    distributed.barrier()


def _validate(model: TrackingModel, validate: Validator, log: _Log, iteration: int) -> None:
    model.eval()
    metrics = validate(model)
    model.train()
    log.validation(iteration, metrics)


def _tensorboard(out_dir: Path):
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(log_dir=str(out_dir / "tensorboard"))
