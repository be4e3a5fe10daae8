"""Framing is fed whole, one byte at a time, and with junk; oversized frames are refused."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.protocol.framing import FrameDecoder, FrameError, frame


@given(st.lists(st.binary(max_size=300), max_size=20), st.integers(min_value=1, max_value=64))
def test_any_slicing_yields_the_same_frames(payloads: list[bytes], step: int) -> None:
    stream = b"".join(frame(p) for p in payloads)
    whole = FrameDecoder(1 << 20).feed(stream)
    assert whole == payloads
    dec = FrameDecoder(1 << 20)
    got: list[bytes] = []
    for i in range(0, len(stream), step):
        got += dec.feed(stream[i : i + step])
    assert got == payloads
    assert dec.buffered == 0


def test_partial_frame_stays_buffered() -> None:
    dec = FrameDecoder(100)
    assert dec.feed(frame(b"abc")[:-1]) == []
    assert dec.buffered == 6
    assert dec.feed(b"c") == [b"abc"]


def test_oversized_and_negative_frames_are_refused() -> None:
    with pytest.raises(FrameError, match="exceeds socket.request.max.bytes=10"):
        FrameDecoder(10).feed(struct.pack(">i", 11))
    with pytest.raises(FrameError, match="negative"):
        FrameDecoder(10).feed(struct.pack(">i", -5))
