"""Writes the seed corpus of tests/fuzz/fuzz_softmax.c into tests/fuzz/corpus/
(deterministic; rerun after changing the input format, and commit the files).

Each seed is the 6-byte header (fuzz_softmax.c) and an element stream: every
tail length around the vector widths, several online blocks, each mode
(scaled bytes, special values, raw float32 bits), offsets near the exp and
two-pass domain limits, strided rows."""

from __future__ import annotations

import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")

N_OFFSETS = 21  # len(OFFSETS) in fuzz_softmax.c


def header(rows, mode, gap, cols, scale_exp, offset_index, special):
    h0 = (rows - 1) | (mode << 2) | (gap << 4)
    return bytes([h0, cols & 0xFF, cols >> 8, (scale_exp + 24) % 72, offset_index % N_OFFSETS,
                  special & 0xFF])


def main():
    rnd = random.Random(19)
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))
    seeds = {}
    # tails around 4/8/16/32-lane vectors and the unrolled loops
    for cols in (0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 129, 255, 1000):
        seeds[f"tail-{cols:04d}"] = header(2, 0, cols % 5, cols, 0, 0, 0) + \
            bytes(rnd.randrange(256) for _ in range(2 * cols * 2))
    # several 8 KiB online blocks (2048 floats), multi-row
    for cols in (2047, 2048, 2049, 4097, 4999):
        seeds[f"blocks-{cols}"] = header(3, 0, 1, cols, 2, 0, 0)
    # offsets: exp underflow/overflow edges, the two-pass domain, huge
    for k in range(N_OFFSETS):
        for scale in (-24, 0, 6):
            seeds[f"offset-{k:02d}-scale{scale}"] = header(2, 0, 0, 70, scale, k, k) + \
                bytes(rnd.randrange(256) for _ in range(140))
    # special values at every position of a short row, and in a long one
    for sp in range(18):
        payload = bytes(b for i in range(40) for b in ((sp + i) % 24, rnd.randrange(256)))
        seeds[f"special-{sp:02d}"] = header(1, 1, 3, 40, 1, sp, sp) + payload
    seeds["special-long"] = header(4, 1, 7, 3000, 3, 5, 1)
    # raw float32 bit patterns: subnormals, huge, NaN payloads
    for cols in (5, 16, 33, 100):
        vals = [rnd.choice([1e-45, 3e38, -3e38, 1e-38, 0.0, -0.0, 1.0, float("nan"), 42.0])
                for _ in range(cols)]
        seeds[f"raw-{cols:03d}"] = header(1, 2, 0, cols, 0, 0, 0) + \
            b"".join(struct.pack("<f", v) for v in vals)
    # a masked row (-inf among finite) and an all -inf row
    seeds["mask"] = header(1, 1, 0, 12, 0, 0, 2) + bytes([30, 10, 2, 0] * 12)
    seeds["all-ninf"] = header(1, 1, 0, 9, 0, 0, 2) + bytes([2, 0] * 9)
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"{len(seeds)} seeds in {OUT}")


if __name__ == "__main__":
    main()
