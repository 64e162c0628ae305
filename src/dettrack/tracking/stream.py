"""What every tracking session shares: objects by id, the stream's frame size and index, the prompt loop."""

from typing import Any, Hashable, Iterable, Iterator, Mapping, Optional, Sequence

import torch
from torch import Tensor

from ..types import Frame, TrackResult
from .inputs import frame_to_tensor


class StreamSession:
    """The bookkeeping of a session over one stream; subclasses add objects (`add`) and find them (`update`)."""

    model: Any

    def __init__(self) -> None:
        self.objects: dict[Hashable, Any] = {}
        self.frame_size: Optional[tuple[int, int]] = None
        self.frame_index = -1

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def ids(self) -> list[Hashable]:
        return list(self.objects)

    def add(self, frame: Frame, box_xywh: Sequence[float], obj_id: Optional[Hashable] = None) -> Hashable:
        raise NotImplementedError

    @torch.inference_mode()
    def update(self, frame: Frame) -> dict[Hashable, TrackResult]:
        """Locate every tracked object in the next frame."""
        self.frame_index += 1
        image = self._check_frame(frame, f"frame {self.frame_index}")
        if not self.objects:
            return {}
        return self._locate(image)

    def _locate(self, image: Tensor) -> dict[Hashable, TrackResult]:
        raise NotImplementedError

    def remove(self, obj_id: Hashable) -> None:
        if obj_id not in self.objects:
            raise KeyError(f"no tracked object with id {obj_id!r}")
        del self.objects[obj_id]

    def track(
        self, frames: Iterable[Frame], prompts: Mapping[int, Mapping[Hashable, Sequence[float]]]
    ) -> Iterator[tuple[int, dict[Hashable, TrackResult]]]:
        """Stream a video: yields (frame index, results) frame by frame, keeping nothing behind.

        prompts: {frame index: {object id: (x, y, w, h)}}: objects start on the frame where
        their box is given; their result there is that box (score 1, present) and, with masks,
        the network's mask in it (start()).
        """
        for index, frame in enumerate(frames):
            results = self.update(frame)
            results.update(self.start(frame, prompts.get(index, {})))
            yield index, results

    def start(self, frame: Frame, boxes: Mapping[Hashable, Sequence[float]]) -> dict[Hashable, TrackResult]:
        """Add the objects of `boxes` ({id: (x, y, w, h)}) on `frame`; returns their answers on it."""
        raise NotImplementedError

    def _next_id(self) -> int:
        return max((i for i in self.objects if isinstance(i, int)), default=-1) + 1

    def _check_frame(self, frame: Frame, name: str) -> Tensor:
        """The frame as a [3, H, W] tensor; every frame of the stream must have the first one's size."""
        image = frame_to_tensor(frame, self.device, name=name)
        size = (int(image.shape[-2]), int(image.shape[-1]))
        if self.frame_size is None or not self.objects:
            self.frame_size = size
        elif size != self.frame_size:
            raise ValueError(
                f"{name} is {size[1]}x{size[0]} but the stream started with {self.frame_size[1]}x{self.frame_size[0]} frames"
            )
        return image
