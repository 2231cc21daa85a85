"""Rewrite a safetensors file with its float32 tensors stored as float16: half the size, the same model.

The Lambda layer ships all-MiniLM-L6-v2 this way (45 MB instead of 91 MB; MiniLM widens the weights back to float32
when it loads them, and its embeddings keep a cosine above 0.99999 to the float32 model's: docs/benchmarks.md). The
layer's build (layers/spendrail/Makefile) runs this file on the build host, whose Python has no numpy, so it uses
the standard library only; the result is byte for byte what numpy's `astype(float16)` gives (round half to even).

    python3 float16.py model.safetensors [target]    # without a target: in place
"""

from __future__ import annotations

import json
import os
import struct
import sys
from pathlib import Path

_CHUNK = 1 << 20  # values converted at a time: bounds the Python floats alive at once
_ALIGN = 8  # safetensors pads its JSON header with spaces to a multiple of 8 bytes


def _halve(raw: memoryview) -> bytes:
    count = len(raw) // 4
    parts: list[bytes] = []
    for start in range(0, count, _CHUNK):
        part = raw[4 * start : 4 * min(count, start + _CHUNK)]
        values = struct.unpack(f"<{len(part) // 4}f", part)
        try:
            parts.append(struct.pack(f"<{len(values)}e", *values))
        except OverflowError as exc:  # beyond +-65504: the model would change, so refuse
            raise ValueError("a weight does not fit float16") from exc
    return b"".join(parts)


def to_float16(source: Path, target: Path) -> tuple[int, int]:
    """Writes `source` with every F32 tensor as F16 (other tensors unchanged) to `target`; returns both sizes."""
    data = memoryview(source.read_bytes())
    (header_size,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(bytes(data[8 : 8 + header_size]))
    base = 8 + header_size
    metadata = header.pop("__metadata__", None)
    new_header: dict[str, object] = {} if metadata is None else {"__metadata__": metadata}
    blobs: list[bytes] = []
    offset = 0
    for name, info in sorted(header.items(), key=lambda item: int(item[1]["data_offsets"][0])):
        start, end = info["data_offsets"]
        raw = data[base + start : base + end]
        blob, dtype = (_halve(raw), "F16") if info["dtype"] == "F32" else (bytes(raw), info["dtype"])
        new_header[name] = {"dtype": dtype, "shape": info["shape"], "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(new_header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % _ALIGN)
    partial = target.with_name(target.name + ".partial")
    with partial.open("wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for blob in blobs:
            out.write(blob)
    os.replace(partial, target)  # in place too: a build stopped halfway leaves the original
    return len(data), target.stat().st_size


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: float16.py model.safetensors [target]", file=sys.stderr)
        return 2
    source = Path(argv[0])
    before, after = to_float16(source, Path(argv[-1]))
    print(f"{source.name}: float32 {before:,} bytes -> float16 {after:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
