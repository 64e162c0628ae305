"""`open_dataset(kind, root, split)`: the reader of a format, chosen by name."""

from collections.abc import Callable
from typing import Any, Optional, Union

from .images import PathLike
from .readers import (
    read_coco,
    read_davis2016,
    read_davis2017,
    read_got10k,
    read_imagenet_vid,
    read_lasot,
    read_otb,
    read_oxuva,
    read_segtrack,
    read_uav123,
    read_vot,
    read_youtube_vos,
)
from .records import ImageRecord, Sequence

READERS: dict[str, Callable[..., list]] = {
    "coco": read_coco,
    "imagenet_vid": read_imagenet_vid,
    "youtube_vos": read_youtube_vos,
    "got10k": read_got10k,
    "lasot": read_lasot,
    "davis2016": read_davis2016,
    "davis2017": read_davis2017,
    "otb": read_otb,
    "vot": read_vot,
    "oxuva": read_oxuva,
    "uav123": read_uav123,
    "segtrack": read_segtrack,
}


def open_dataset(
    kind: str, root: PathLike, split: Optional[str] = None, **options: Any
) -> Union[list[Sequence], list[ImageRecord]]:
    """Read dataset `root` of format `kind` (a key of READERS); `options` go to that reader (e.g. COCO's annotations=)."""
    reader = READERS.get(kind.lower().replace("-", "_"))
    if reader is None:
        raise ValueError(f"unknown dataset kind {kind!r}; expected one of {', '.join(READERS)}")
    return reader(root, split, **options)
