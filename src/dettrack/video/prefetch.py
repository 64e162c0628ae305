"""Frames decoded ahead in a thread of their own, so that decoding overlaps the tracking."""

import queue
import threading
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")
_POLL = 0.1  # seconds between checks of whether the consumer has gone


def prefetched(items: Iterable[T], depth: int = 4) -> Iterator[T]:
    """The items of `items`, in order, produced up to `depth` ahead by a background thread (PyAV
    and OpenCV decode without holding the GIL). What the iterable raises is raised here, at its
    place in the order; a consumer that stops early (break, close) stops the thread."""
    buffer: "queue.Queue[tuple[bool, object]]" = queue.Queue(depth)
    stop = threading.Event()

    def put(entry: tuple[bool, object]) -> bool:
        while not stop.is_set():
            try:
                buffer.put(entry, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
        except BaseException as err:  # handed to the consumer, raised in its thread
            put((False, err))
            return
        put((False, None))

    thread = threading.Thread(target=produce, name="dettrack-decoder", daemon=True)
    thread.start()
    try:
        while True:
            produced, value = buffer.get()
            if produced:
                yield value  # type: ignore[misc]
            elif value is None:
                return
            else:
                raise value  # type: ignore[misc]
    finally:
        stop.set()
