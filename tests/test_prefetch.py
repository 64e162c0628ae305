"""Frames decoded ahead in a thread: the same items in the same order, errors where they happened."""

import threading
import time

import pytest

from dettrack.video.prefetch import prefetched


def test_items_come_in_order_and_an_error_comes_at_its_place():
    def frames():
        yield from range(10)
        raise ValueError("frame 10 is truncated")

    got = []
    with pytest.raises(ValueError, match="frame 10 is truncated"):
        for item in prefetched(frames(), depth=3):
            got.append(item)
    assert got == list(range(10))


def test_a_consumer_that_stops_early_stops_the_decoding_thread():
    produced = []

    def endless():
        while True:
            produced.append(len(produced))
            yield produced[-1]

    stream = prefetched(endless(), depth=2)
    assert [next(stream) for _ in range(5)] == [0, 1, 2, 3, 4]
    stream.close()
    deadline = time.monotonic() + 5
    while any(t.name == "dettrack-decoder" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(t.name == "dettrack-decoder" for t in threading.enumerate())
    assert len(produced) <= 5 + 2 + 2  # read ahead by at most the buffer's depth (and one in hand)
