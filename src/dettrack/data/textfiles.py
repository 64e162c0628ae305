"""Small text formats shared by the readers: numeric rows, per-frame flag files, name lists; path checks."""

import re
from pathlib import Path

import numpy as np

from .images import PathLike

_SEPARATORS = re.compile(r"[,\s]+")


def require_dir(path: PathLike, what: str) -> Path:
    """`path` as a Path; a FileNotFoundError naming it and `what` it should be when it is not a folder."""
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: {what} not found")
    return path


def require_file(path: PathLike, what: str) -> Path:
    """`path` as a Path; a FileNotFoundError naming it and `what` it should be when it is not a file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: {what} not found")
    return path


def read_lines(path: PathLike) -> list[tuple[int, str]]:
    """(line number, stripped text) of each line, trailing blank lines dropped; a blank line before data is an error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not a text file ({err})") from None
    lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), start=1)]
    while lines and not lines[-1][1]:
        lines.pop()
    for number, line in lines:
        if not line:
            raise ValueError(f"{path}:{number}: empty line")
    return lines


def split_fields(line: str) -> list[str]:
    """Fields separated by commas, tabs or spaces (any mix)."""
    return [field for field in _SEPARATORS.split(line) if field]


def parse_floats(fields: list[str], where: str) -> list[float]:
    """Numbers ('nan' allowed); anything else is a ValueError at `where` ('file:line')."""
    try:
        return [float(field) for field in fields]
    except ValueError:
        raise ValueError(f"{where}: expected numbers, got {','.join(fields)!r}") from None


def read_box_rows(path: PathLike) -> np.ndarray:
    """An (N, 4) array from a file of x, y, w, h lines (comma-, tab- or space-separated)."""
    rows = []
    for number, line in read_lines(path):
        fields = split_fields(line)
        if len(fields) != 4:
            raise ValueError(f"{path}:{number}: expected 4 values (x, y, w, h), got {len(fields)}: {line!r}")
        rows.append(parse_floats(fields, f"{path}:{number}"))
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


def read_flags(path: PathLike, count: int, allowed: range = range(2)) -> np.ndarray:
    """`count` integer flags, one per frame, one per line or comma-separated on one line (GOT-10k, LaSOT)."""
    values = []
    for number, line in read_lines(path):
        for field in split_fields(line):
            try:
                value = int(float(field))
            except ValueError:
                raise ValueError(f"{path}:{number}: expected an integer flag, got {field!r}") from None
            if value not in allowed:
                raise ValueError(f"{path}:{number}: flag {value} outside {allowed.start}..{allowed.stop - 1}")
            values.append(value)
    if len(values) != count:
        raise ValueError(f"{path}: {len(values)} flags for {count} frames")
    return np.array(values, dtype=np.int64)


def read_names(path: PathLike) -> list[str]:
    """Non-empty lines of a list file (list.txt, ImageSets, split files)."""
    path = require_file(path, "list file")
    return [line.split()[0] for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]


def check_row_count(rows: int, frames: int, path: PathLike, folder: PathLike) -> None:
    """A ValueError when a ground-truth file does not have one row per frame."""
    if rows != frames:
        raise ValueError(f"{path}: {rows} ground-truth rows for {frames} frames in {folder}")
