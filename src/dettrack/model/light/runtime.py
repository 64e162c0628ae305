"""The light family's pyramid on onnxruntime for CPU inference: the same function, about twice as fast.

The trunk and PAN are most of a tracking step's work. PyTorch's eager CPU kernels for their many
small depthwise and 1x1 convolutions are slow next to onnxruntime's fused ones (320 x 320, 2
threads: 34 ms against 13 ms; the dense head on 40 x 40 and smaller maps gains nothing, and stays
in PyTorch). The mask head's 3x3 convolutions on 14 x 14 RoIs run about 30% faster there too. The module is exported with dynamic batch and sizes, once per set of weights (the
graph is kept in cache_dir(); a checkpoint may ship its graphs, which loading puts there); a session is cached per module and made again when any of its
weights changed in place (weights replaced by new tensor objects are not seen: change them in
place, as training and load_state_dict do). A module may also run as an int8 graph
(quantized_graph: onnxruntime's static quantization, calibrated on real inputs when a checkpoint
is exported), found in the cache by its weights like the others; it is never made at run time.
"""

import hashlib
import io
import logging
import os
import tempfile
import warnings
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Mapping, Optional

import torch
from torch import Tensor, nn

from ...io_utils import atomic_write
from .nanodet import STRIDES, NanoDet

GRAPH_VERSION = 1  # part of every graph's cache name: raise it when an exported module's forward changes
INT8 = "int8"  # the variant of an int8 graph's cache name
CALIBRATION_BATCH = 16  # inputs per calibration run
# per module, per variant: the weights' tensors and versions (and the thread count) it was made for, and its runner
_CACHE: "weakref.WeakKeyDictionary[nn.Module, dict[str, tuple[list[Tensor], tuple[int, ...], Optional[OnnxModule]]]]" = weakref.WeakKeyDictionary()


class _Pyramid(nn.Module):
    def __init__(self, detector: NanoDet) -> None:
        super().__init__()
        self.detector = detector

    def forward(self, images: Tensor) -> tuple[Tensor, ...]:
        return tuple(self.detector.pyramid(images).values())


class OnnxModule:
    """A module's forward on CPU tensors, computed by onnxruntime from its export with dynamic batch
    and spatial sizes (no gradients), on `threads` threads (default: PyTorch's count); `graph`: a
    graph of the module to run instead (its int8 graph)."""

    def __init__(
        self,
        module: nn.Module,
        examples: tuple[Tensor, ...],
        inputs: list[str],
        outputs: list[str],
        threads: Optional[int] = None,
        graph: Optional[bytes] = None,
    ) -> None:
        import onnxruntime

        graph = graph if graph is not None else _exported(module, examples, inputs, outputs)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.log_severity_level = 3
        # no spinning after a run: PyTorch's own threads do the rest of the step on the same cores
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.inputs = inputs
        self.session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])

    def __call__(self, *tensors: Tensor) -> list[Tensor]:
        feed = {name: t.detach().contiguous().numpy() for name, t in zip(self.inputs, tensors)}
        return [torch.from_numpy(o) for o in self.session.run(None, feed)]


def _exported(module: nn.Module, examples: tuple[Tensor, ...], inputs: list[str], outputs: list[str]) -> bytes:
    """The module's ONNX graph: from the disk cache when these exact weights were exported before
    (the export takes about half a second, a whole tracking run's start), else exported now."""
    path = cache_dir() / graph_name(module, inputs, outputs)
    if path.is_file():
        return path.read_bytes()
    graph = export_graph(module, examples, inputs, outputs)
    try:
        with atomic_write(path, "wb") as f:
            f.write(graph)
    except OSError:
        pass  # a read-only home: the export is only slower next time
    return graph


def graph_name(module: nn.Module, inputs: list[str], outputs: list[str], variant: str = "") -> str:
    """The cache file name of the module's graph: a digest of what it computes (the graph version,
    the module's class, its inputs and outputs, a variant such as INT8) and of every weight."""
    digest = hashlib.sha256(f"{GRAPH_VERSION} {type(module).__name__} {inputs} {outputs}{' ' + variant if variant else ''}".encode())
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return f"{digest.hexdigest()[:32]}.onnx"


def export_graph(module: nn.Module, examples: tuple[Tensor, ...], inputs: list[str], outputs: list[str]) -> bytes:
    """The module's ONNX graph, exported now, with dynamic batch and sizes (examples fix the rest)."""
    buffer = io.BytesIO()
    axes = {name: {0: "batch", 2: f"{name}_h", 3: f"{name}_w"} for name in inputs}
    axes.update({name: {0: "batch", 1: f"{name}_1"} for name in outputs})
    modes = {m: m.training for m in module.modules()}  # restored one by one: the caller's modes stay as they were
    module.eval()
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # the TorchScript-based exporter: no onnxscript needed; torch marks it deprecated
            warnings.simplefilter("ignore", DeprecationWarning)
            # GroupNorm's batch-size check (a training-time error) is traced as a constant: harmless here
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            torch.onnx.export(
                module, examples, buffer, input_names=inputs, output_names=outputs, dynamic_axes=axes, opset_version=17,
                dynamo=False,
            )  # fmt: skip
    finally:
        for m, training in modes.items():
            m.training = training
    return buffer.getvalue()


def quantized_graph(module: nn.Module, calibration: Tensor) -> bytes:
    """The one-input ("x"), one-output ("y") module's int8 graph, to be cached under int8_graph_name:
    onnxruntime's static QDQ quantization, per-channel int8
    weights and uint8 activations whose ranges are the min and max over calibration (real inputs
    [N, ...], the more varied the better). Its convolutions run about twice as fast as fp32's on
    CPUs with int8 dot products."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Batches(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter(calibration.split(CALIBRATION_BATCH))

        def get_next(self) -> Optional[dict[str, object]]:
            batch = next(self.batches, None)
            return None if batch is None else {"x": batch.detach().float().contiguous().numpy()}

    quiet = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # the quantizer logs a note per normalisation constant it leaves alone
    try:
        with tempfile.TemporaryDirectory() as folder:
            plain, prepared, quantized = (os.path.join(folder, name) for name in ("plain.onnx", "prepared.onnx", "int8.onnx"))
            Path(plain).write_bytes(export_graph(module, (calibration[:1].float(),), ["x"], ["y"]))
            quant_pre_process(plain, prepared)
            quantize_static(
                prepared, quantized, Batches(), quant_format=QuantFormat.QDQ, per_channel=True,
                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            )  # fmt: skip
            return Path(quantized).read_bytes()
    finally:
        logging.getLogger().setLevel(quiet)


def calibration_digest(calibration: Tensor) -> str:
    """A short digest of calibration inputs: part of an int8 graph's cache name."""
    return hashlib.sha256(calibration.detach().float().cpu().contiguous().numpy().tobytes()).hexdigest()[:16]


def int8_graph_name(module: nn.Module, calibration: str) -> str:
    """The cache name of the one-input, one-output module's int8 graph of these weights and that
    calibration (its calibration_digest)."""
    return graph_name(module, ["x"], ["y"], f"{INT8} {calibration}")


def cached_graph(name: str) -> Optional[bytes]:
    """The graph of that cache name, None when the cache has none."""
    path = cache_dir() / name
    return path.read_bytes() if path.is_file() else None


def seed_cache(graphs: Mapping[str, bytes]) -> None:
    """Put graphs a checkpoint ships (by their cache names) in the cache, so that its first run
    exports nothing; names already there are left alone."""
    for name, graph in graphs.items():
        path = cache_dir() / Path(name).name
        if path.is_file():
            continue
        try:
            with atomic_write(path, "wb") as f:
                f.write(graph)
        except OSError:
            return  # a read-only home: the graphs are exported when first needed, as without them


def cache_dir() -> Path:
    """Where exported graphs are kept: $DETTRACK_CACHE, else $XDG_CACHE_HOME/dettrack or ~/.cache/dettrack."""
    if os.environ.get("DETTRACK_CACHE"):
        return Path(os.environ["DETTRACK_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dettrack"


def available() -> bool:
    """Whether onnxruntime can be imported (a dependency of the package; PyTorch serves without it)."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def cached(module: nn.Module, build: Callable[[], Optional[OnnxModule]], variant: str = "") -> Optional[OnnxModule]:
    """The cached runner of `module` (built by `build`; one per variant), made again when any of its
    weights changed in place (training steps, load_state_dict) or the thread count changed."""
    entries = _CACHE.setdefault(module, {})
    if variant in entries:
        tensors, versions, runner = entries[variant]
        if tuple(t._version for t in tensors) + (torch.get_num_threads(),) == versions:
            return runner
    tensors = [*module.parameters(), *module.buffers()]
    runner = build()
    entries[variant] = (tensors, tuple(t._version for t in tensors) + (torch.get_num_threads(),), runner)
    return runner


def onnx_module(module: nn.Module, example: Tensor) -> Callable[[Tensor], Tensor]:
    """A one-input, one-output module on onnxruntime (dynamic batch and sizes; `example` fixes the rest)."""
    runner = cached(module, lambda: OnnxModule(module, (example,), ["x"], ["y"]))
    return lambda x: runner(x)[0]  # type: ignore[misc]


def onnx_int8(module: nn.Module, calibration: str) -> Optional[Callable[[Tensor], Tensor]]:
    """The one-input, one-output module's int8 graph of these weights and that calibration (its
    digest; quantized_graph), by its cache name, where the checkpoint that ships it put it, on
    onnxruntime; None, with a warning, where the cache has none (the weights changed since it was
    calibrated: export them again)."""

    def build() -> Optional[OnnxModule]:
        graph = cached_graph(int8_graph_name(module, calibration))
        if graph is None:
            warnings.warn(f"no int8 graph of the {type(module).__name__}'s weights as they are now (changed since it was calibrated?): "
                          "running it in fp32; `dettrack export --int8-masks IMAGES` calibrates one")
            return None
        return OnnxModule(module, (), ["x"], ["y"], graph=graph)

    runner = cached(module, build, f"{INT8} {calibration}")
    return None if runner is None else (lambda x: runner(x)[0])


def onnx_pyramid(detector: NanoDet) -> Callable[[Tensor], "OrderedDict[str, Tensor]"]:
    """detector.pyramid on onnxruntime: RGB images in [0, 1] -> the PAN maps keyed by stride."""
    runner = cached(detector, lambda: OnnxModule(_Pyramid(detector), *_pyramid_signature()))
    return lambda images: OrderedDict((str(s), o) for s, o in zip(STRIDES, runner(images)))  # type: ignore[misc]


def graphs_of(detector: NanoDet, mask_net: nn.Module, mask_example: Tensor) -> dict[str, bytes]:
    """The graphs CPU inference needs for these weights (the pyramid and the mask head), by their
    cache names, exported now: what a checkpoint ships so that no run has to export them."""
    pyramid = _Pyramid(detector)
    (example,), inputs, outputs = _pyramid_signature()
    return {
        graph_name(pyramid, inputs, outputs): export_graph(pyramid, (example,), inputs, outputs),
        graph_name(mask_net, ["x"], ["y"]): export_graph(mask_net, (mask_example,), ["x"], ["y"]),
    }


def _pyramid_signature() -> tuple[tuple[Tensor], list[str], list[str]]:
    """The pyramid's export example, input names and output names."""
    return (torch.zeros(1, 3, 128, 128),), ["images"], [f"p{s}" for s in STRIDES]
