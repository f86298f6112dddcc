#!/usr/bin/env python3
"""A proving backend for `--prover.command` that proves by hashing.

Reads one job as JSON on stdin ({"blockHash","job","round","level","index","inputs":[hex32...]}),
computes the root of its inputs pairwise with keccak256(left || right) (the block tree's inner
nodes), and prints {"output": "0x..", "seconds": <wall time>} on stdout. keccak256 is not in
hashlib (sha3_256 pads differently), so Keccak-f[1600] is implemented here.
"""
import json
import sys
import time

MASK = (1 << 64) - 1
ROUND_CONSTANTS = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]
# Rotation offsets r[x][y].
ROTATIONS = [
    [0, 36, 3, 41, 18],
    [1, 44, 10, 45, 2],
    [62, 6, 43, 15, 61],
    [28, 55, 25, 21, 56],
    [27, 20, 39, 8, 14],
]
RATE = 136  # bytes, for a 256-bit output


def rol(v, n):
    return ((v << n) | (v >> (64 - n))) & MASK if n else v


def keccak_f(a):
    """Keccak-f[1600] on a 5x5 list of lanes a[x][y]."""
    for rc in ROUND_CONSTANTS:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ rol(c[(x + 1) % 5], 1) for x in range(5)]
        a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = rol(a[x][y], ROTATIONS[x][y])
        a = [[b[x][y] ^ (~b[(x + 1) % 5][y] & b[(x + 2) % 5][y]) for y in range(5)] for x in range(5)]
        a[0][0] ^= rc
    return a


def keccak256(data: bytes) -> bytes:
    # Keccak's original padding (0x01 ... 0x80), not SHA-3's 0x06.
    msg = bytearray(data) + b"\x01" + b"\x00" * ((-len(data) - 2) % RATE) + b"\x80"
    if len(msg) % RATE:
        raise AssertionError("padding")
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(msg), RATE):
        block = msg[off:off + RATE]
        for i in range(RATE // 8):
            a[i % 5][i // 5] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        a = keccak_f(a)
    return b"".join(a[i % 5][i // 5].to_bytes(8, "little") for i in range(4))


def parse_node(h):
    if not isinstance(h, str):
        raise ValueError("an input is not a string")
    b = bytes.fromhex(h[2:] if h.startswith("0x") else h)
    if len(b) != 32:
        raise ValueError(f"input {h} is not 32 bytes")
    return b


def main():
    started = time.monotonic()
    job = json.load(sys.stdin)
    level = [parse_node(h) for h in job["inputs"]]
    n = len(level)
    if n == 0 or n & (n - 1):
        raise ValueError(f"{n} inputs: not a power of two")
    while len(level) > 1:
        level = [keccak256(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    out = {"output": "0x" + level[0].hex(), "seconds": time.monotonic() - started}
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one clear line on stderr, non-zero exit
        sys.stderr.write(f"hash-prover: {e}\n")
        sys.exit(1)
