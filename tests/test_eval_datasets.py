"""Benchmark fixtures for the eval tests: tiny datasets in each official layout with a moving
textured object (so real trackers can follow it), an oracle tracker that answers with the
ground truth, and checks that the readers see the fixtures as intended."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from dettrack import TrackResult
from dettrack.data import open_dataset

from conftest import shared_path
from fixtures_data import write_lines, write_mask

HEIGHT, WIDTH = 72, 96
TEXTURE = np.random.default_rng(1).integers(120, 255, size=(16, 20, 3), dtype=np.uint8)
BACKGROUND = np.random.default_rng(2).integers(0, 70, size=(HEIGHT, WIDTH, 3), dtype=np.uint8)


def object_box(t: int, k: int = 0) -> tuple[int, int, int, int]:
    """The (x, y, w, h) box of object k in frame t (0-based pixels): moving right by 3 px a frame."""
    return (8 + 3 * t, 10 + 30 * k, 20, 16)


def frame_image(t: int, objects: int = 1) -> np.ndarray:
    frame = BACKGROUND.copy()
    for k in range(objects):
        x, y, w, h = object_box(t, k)
        frame[y : y + h, x : x + w] = TEXTURE
    return frame


def labels(t: int, objects: int = 1) -> np.ndarray:
    out = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    for k in range(objects):
        x, y, w, h = object_box(t, k)
        out[y : y + h, x : x + w] = k + 1
    return out


def save(path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path)


def box_text(box, offset: int = 0) -> str:
    x, y, w, h = box
    return f"{x + offset},{y + offset},{w},{h}"


def write_otb(root, names=("Alpha", "Beta", "Gamma"), frames=5):
    for name in names:
        for t in range(frames):
            save(root / name / "img" / f"{t + 1:04d}.jpg", frame_image(t))
        write_lines(root / name / "groundtruth_rect.txt", [box_text(object_box(t), 1) for t in range(frames)])
    return root


def write_got10k(root, names=("GOT-10k_Val_000001", "GOT-10k_Val_000002"), frames=5, absent=(3,)):
    for name in names:
        folder = root / "val" / name
        for t in range(frames):
            save(folder / f"{t + 1:08d}.jpg", frame_image(t))
        write_lines(folder / "groundtruth.txt", [box_text(object_box(t), 1) for t in range(frames)])
        write_lines(folder / "absence.label", ["1" if t in absent else "0" for t in range(frames)])
        write_lines(folder / "cover.label", ["0" if t in absent else "8" for t in range(frames)])
        write_lines(
            folder / "meta_info.ini", ["[METAINFO]", "object_class: square", f"resolution: ({WIDTH}, {HEIGHT})"]
        )
    write_lines(root / "val" / "list.txt", names)
    return root


def write_lasot(root, frames=5):
    folder = root / "square" / "square-1"
    for t in range(frames):
        save(folder / "img" / f"{t + 1:08d}.jpg", frame_image(t))
    write_lines(folder / "groundtruth.txt", [box_text(object_box(t), 1) for t in range(frames)])
    write_lines(folder / "full_occlusion.txt", [",".join("1" if t == 3 else "0" for t in range(frames))])
    write_lines(folder / "out_of_view.txt", [",".join("0" for _ in range(frames))])
    return root


def write_vot_lt(root, names=("car", "dog"), frames=5, absent=(3,)):
    for name in names:
        for t in range(frames):
            save(root / name / "color" / f"{t + 1:08d}.jpg", frame_image(t))
        rows = ["nan,nan,nan,nan" if t in absent else box_text(object_box(t)) for t in range(frames)]
        write_lines(root / name / "groundtruth.txt", rows)
    write_lines(root / "list.txt", names)
    return root


def write_uav123(root, frames=5, absent=(2,)):
    for t in range(frames):
        save(root / "boat" / f"{t + 1:06d}.jpg", frame_image(t))
    write_lines(
        root / "boat" / "groundtruth.txt",
        ["NaN,NaN,NaN,NaN" if t in absent else box_text(object_box(t)) for t in range(frames)],
    )
    return root


def write_oxuva(root, frames=7):
    """One dev task over frames 30..30+frames-1, labelled at 30 (init), 33 and 36 (absent at 36) when in range."""
    write_lines(root / "tasks" / "dev.csv", [f"vid0001,obj0000,30,{30 + frames - 1},{_normalised(object_box(0))}"])
    rows = []
    for t in (t for t in (0, 3, 6) if t < frames):
        state = "absent,,,," if t == 6 else f"present,{_normalised(object_box(t))}"
        rows.append(f"vid0001,obj0000,3,dog,unknown,unknown,{30 + t},{state}")
    write_lines(root / "annotations" / "dev.csv", rows)
    for t in range(frames):
        save(root / "images" / "dev" / "vid0001" / f"{30 + t:06d}.jpeg", frame_image(t))
    return root


def _normalised(box) -> str:
    x, y, w, h = box
    return f"{x / WIDTH},{(x + w) / WIDTH},{y / HEIGHT},{(y + h) / HEIGHT}"


def write_davis(root, videos=("bear",), frames=5, objects=2, split="val"):
    for video in videos:
        for t in range(frames):
            save(root / "JPEGImages" / "480p" / video / f"{t:05d}.jpg", frame_image(t, objects))
            write_mask(root / "Annotations" / "480p" / video / f"{t:05d}.png", labels(t, objects), palette=True)
    write_lines(root / "ImageSets" / "2017" / f"{split}.txt", videos)
    return root


def write_ytvos(root, frames=5):
    """One train video with object 1 from frame 0 and object 2 from frame 2."""
    folder = root / "train"
    names = [f"{5 * t:05d}" for t in range(frames)]
    for t, name in enumerate(names):
        save(folder / "JPEGImages" / "clip" / f"{name}.jpg", frame_image(t, 2))
        frame_labels = labels(t, 2)
        if t < 2:
            frame_labels[frame_labels == 2] = 0
        write_mask(folder / "Annotations" / "clip" / f"{name}.png", frame_labels, palette=True)
    meta = {
        "videos": {
            "clip": {"objects": {"1": {"category": "a", "frames": names}, "2": {"category": "b", "frames": names[2:]}}}
        }
    }
    (folder / "meta.json").write_text(json.dumps(meta))
    return root


def write_coco(root, images=2):
    entries, annotations = [], []
    for i in range(images):
        save(root / "images" / f"{i}.jpg", frame_image(i))
        entries.append({"id": i + 1, "file_name": f"{i}.jpg", "height": HEIGHT, "width": WIDTH})
        x, y, w, h = object_box(i)
        annotations.append({
            "id": i + 1, "image_id": i + 1, "category_id": 1, "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0,
            "segmentation": [[x, y, x + w, y, x + w, y + h, x, y + h]],
        })  # fmt: skip
    data = {"images": entries, "annotations": annotations, "categories": [{"id": 1, "name": "square"}]}
    path = root / "annotations.json"
    path.write_text(json.dumps(data))
    return path, root / "images"


@pytest.fixture
def one_thread():
    """Torch on one thread: the tiny models run faster so on a busy 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class Oracle:
    """A tracker that answers with the ground truth (found by its init box): perfect scores, exact numbers."""

    name = "oracle"

    def __init__(self, sequences, score: float = 0.9) -> None:
        self.by_box = {tuple(np.round(s.boxes[np.flatnonzero(s.present)[0]], 3)): s for s in sequences}
        self.score = score

    def init(self, frame, box) -> None:
        self.seq = self.by_box[tuple(np.round(np.asarray(box, dtype=float), 3))]
        self.t = int(np.flatnonzero(self.seq.present)[0])
        self.box, self.present = tuple(box), True

    def update(self, frame) -> TrackResult:
        """The ground truth on labelled frames; between labels (OxUvA), the last labelled answer."""
        self.t += 1
        if self.seq.labelled[self.t]:
            self.present = bool(self.seq.present[self.t])
            self.box = tuple(self.seq.boxes[self.t]) if self.present else self.box
        return TrackResult(self.box, self.score if self.present else 0.1, self.present, self.seq.mask(self.t))


def oracle_factory(sequences, score: float = 0.9):
    return lambda: Oracle(sequences, score)


def test_fixtures_read_as_intended(tmp_path):
    (otb,) = open_dataset("otb", write_otb(tmp_path / "otb", names=("Alpha",)))
    np.testing.assert_array_equal(otb.boxes[2], object_box(2))
    a, b = open_dataset("got10k", write_got10k(tmp_path / "got"), "val")
    assert a.present.tolist() == [True, True, True, False, True] and a.frame_flags["cover"][3] == 0
    (lasot,) = open_dataset("lasot", write_lasot(tmp_path / "lasot"))
    assert lasot.present.tolist() == [True, True, True, False, True]
    (uav,) = open_dataset("uav123", write_uav123(tmp_path / "uav"))
    assert uav.present.tolist() == [True, True, False, True, True]
    car, _ = open_dataset("vot", write_vot_lt(tmp_path / "vot"))
    assert car.present.tolist() == [True, True, True, False, True]
    (oxuva,) = open_dataset("oxuva", write_oxuva(tmp_path / "oxuva"), "dev")
    assert oxuva.name == "vid0001/obj0000" and oxuva.labelled.sum() == 3 and not oxuva.present[6]
    np.testing.assert_allclose(oxuva.boxes[3], object_box(3))
    first, second = open_dataset("davis2017", write_davis(tmp_path / "davis"), "val")
    assert (first.object_id, second.object_id) == (1, 2) and second.mask(1).sum() == 20 * 16
    one, two = open_dataset("youtube_vos", write_ytvos(tmp_path / "ytvos"), "train")
    assert (len(one), len(two)) == (5, 3)
    assert Oracle([a, b]).by_box  # both start from the same box: the later one wins, same ground truth


def real_otb_subset(root, sequence: str = "Couple", frames: int = 10):
    """The first `frames` frames of a real OTB sequence from ../shared (linked, not copied) and their ground truth."""
    source = shared_path("data", "otb", sequence)
    for t in range(frames):
        link = root / sequence / "img" / f"{t + 1:04d}.jpg"
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(source / "img" / f"{t + 1:04d}.jpg")
    lines = (source / "groundtruth_rect.txt").read_text().splitlines()[:frames]
    write_lines(root / sequence / "groundtruth_rect.txt", lines)
    return root
