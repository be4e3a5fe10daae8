"""Random and hostile request bodies for every advertised API and version never abort the decoder."""

from __future__ import annotations

import random
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from engine.api.routes import ROUTES
from engine.protocol.codec import decode_request
from engine.protocol.guard import MalformedRequest

ROOT = Path(__file__).resolve().parents[2]


def frames(seed: int, per_version: int) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for r in ROUTES:
        for v in range(max(r.min_version, 3 if r.api_key == 0 else 0), r.max_version + 1):
            for _ in range(per_version):
                head = struct.pack(">hhi", r.api_key, v, 7) + b"\x00\x03abc" + (b"\x00" if rng.random() < 0.5 else b"")
                out.append(head + rng.randbytes(rng.randint(0, 120)))
                # a plausible prefix followed by a huge count or length
                out.append(head + b"\x00" * rng.randint(0, 12) + b"\x7f\xff\xff\xff" + rng.randbytes(8))
                out.append(head + b"\x00" * rng.randint(0, 12) + b"\xff\xff\xff\xff\x07" + rng.randbytes(8))
    return out


def test_hostile_lengths_are_refused_before_kio() -> None:
    metadata_v12 = struct.pack(">hhi", 3, 12, 1) + b"\x00\x03abc\x00" + b"\xff\xff\xff\xff\x07" + b"\x00" * 4
    with pytest.raises(MalformedRequest, match="array claims"):
        decode_request(metadata_v12)
    produce_v7 = struct.pack(">hhi", 0, 7, 1) + b"\x00\x03abc" + b"\xff\xff" + b"\x00\x01\x00\x00\x75\x30" + \
        b"\x7f\xff\xff\xff"
    with pytest.raises(MalformedRequest):
        decode_request(produce_v7)


def test_fuzzed_frames_never_abort_the_process() -> None:
    # In a child process: if kio ever aborts (it cannot raise on an impossible allocation), the test sees it.
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from tests.engine.test_decode_guard import frames\n"
        "from engine.protocol.codec import decode_request\n"
        "n = 0\n"
        "for f in frames(int(sys.argv[1]), 60):\n"
        "    try:\n"
        "        decode_request(f)\n"
        "    except Exception:\n"
        "        pass\n"
        "    n += 1\n"
        "print(n)\n"
    )
    for seed in (1, 2):
        out = subprocess.run([sys.executable, "-c", code, str(seed)], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        assert int(out.stdout) > 10_000
