#!/usr/bin/env python3
"""Writes the BLS12-381 known-answer vectors of test/unit/bls/BlsLib.t.sol (see README.md here).

Independent of the Solidity under test: expand_message_xmd and hash_to_field are written out below from RFC 9380
(§5.3.1, §5.2) with hashlib; the SSWU map, the 3-isogeny, cofactor clearing and the group law come from py_ecc
(Ethereum Foundation, pure Python). `--check DIR...` first compares this script with published vectors (RFC 9380's
cfrg JSON files, EIP-2537's assets) found in DIR, and refuses to write on any difference.

    python3 -m venv /tmp/v && /tmp/v/bin/pip install py_ecc==8.0.0
    /tmp/v/bin/python test/vectors/bls/generate.py [--check DIR ...]
"""

import hashlib
import json
import os
import sys

from py_ecc.bls import G2ProofOfPossession
from py_ecc.bls.g2_primitives import G1_to_pubkey, G2_to_signature
from py_ecc.bls.hash_to_curve import clear_cofactor_G2, map_to_curve_G1, map_to_curve_G2
from py_ecc.fields import optimized_bls12_381_FQ as FQ
from py_ecc.fields import optimized_bls12_381_FQ2 as FQ2
from py_ecc.optimized_bls12_381 import G1, G2, add, b, b2, curve_order, is_inf, is_on_curve, multiply, neg, normalize

P = 0x1A0111EA397FE69A4B1BA7B6434BACD764774B84F38512BF6730D2A0F6B0F6241EABFFFEB153FFFFB9FEFFFFFFFFAAAB
DST_SIG = b"SPN-V1-BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"
DST_POP = b"SPN-V1-BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"
RFC_XMD_DST = b"QUUX-V01-CS02-with-expander-SHA256-128"
RFC_G2_DST = b"QUUX-V01-CS02-with-BLS12381G2_XMD:SHA-256_SSWU_RO_"
# RFC 9380 Appendix K.1 and J.10.1 messages.
RFC_MSGS = [b"", b"abc", b"abcdef0123456789", b"q128_" + b"q" * 128, b"a512_" + b"a" * 512]


# ---------------------------------------------------------------------------------------------- RFC 9380, by hand


def expand_message_xmd(msg: bytes, dst: bytes, length: int) -> bytes:
    ell = (length + 31) // 32
    assert ell <= 255 and length <= 65535 and len(dst) <= 255
    dst_prime = dst + bytes([len(dst)])
    b0 = hashlib.sha256(bytes(64) + msg + length.to_bytes(2, "big") + b"\x00" + dst_prime).digest()
    b = [hashlib.sha256(b0 + b"\x01" + dst_prime).digest()]
    for i in range(2, ell + 1):
        b.append(hashlib.sha256(bytes(x ^ y for x, y in zip(b0, b[-1])) + bytes([i]) + dst_prime).digest())
    return b"".join(b)[:length]


def hash_to_field_fp2(msg: bytes, dst: bytes):
    """RFC 9380 §5.2 with m = 2, L = 64, count = 2: [(u0.c0, u0.c1), (u1.c0, u1.c1)]."""
    uniform = expand_message_xmd(msg, dst, 256)
    e = [int.from_bytes(uniform[64 * k : 64 * k + 64], "big") % P for k in range(4)]
    return [(e[0], e[1]), (e[2], e[3])]


def hash_to_g2(msg: bytes, dst: bytes):
    u = hash_to_field_fp2(msg, dst)
    q0 = map_to_curve_G2(FQ2(list(u[0])))
    q1 = map_to_curve_G2(FQ2(list(u[1])))
    return u, clear_cofactor_G2(add(q0, q1))


# ---------------------------------------------------------------------------------------------- EIP-2537 encodings


def fp(v: int) -> bytes:
    """EIP-2537 padded field element: 64 bytes big-endian, top 16 zero."""
    assert 0 <= v < P
    return v.to_bytes(64, "big")


def fp2(c0: int, c1: int) -> bytes:
    return fp(c0) + fp(c1)


def g1_padded(pt) -> bytes:
    x, y = normalize(pt)
    return fp(x.n) + fp(y.n)


def g2_padded(pt) -> bytes:
    x, y = normalize(pt)
    return fp2(*x.coeffs) + fp2(*y.coeffs)


def unpad(padded: bytes) -> bytes:
    """Calldata form: each 64-byte element without its 16 zero bytes."""
    assert len(padded) % 64 == 0
    out = b""
    for k in range(0, len(padded), 64):
        assert padded[k : k + 16] == bytes(16)
        out += padded[k + 16 : k + 64]
    return out


def compress_g1(pt) -> bytes:
    """ZCash form, written out: x with 0x80 set, and 0x20 iff y > (p - 1) / 2."""
    x, y = normalize(pt)
    flags = 0x80 | (0x20 if y.n > (P - 1) // 2 else 0)
    out = bytearray(x.n.to_bytes(48, "big"))
    out[0] |= flags
    return bytes(out)


def h(b: bytes) -> str:
    return "0x" + b.hex()


# ---------------------------------------------------------------------------------------------- cross-checks


def _fp2_of(s: str):
    c0, c1 = s.split(",")
    return int(c0, 16), int(c1, 16)


def check_published(dirs):
    """Compares this script with published vectors; returns how many it checked."""
    checked = 0
    for d in dirs:
        for root, _, files in os.walk(d):
            for name in files:
                path = os.path.join(root, name)
                if name == "expand_message_xmd_SHA256_38.json":
                    data = json.load(open(path))
                    for t in data["tests"]:
                        got = expand_message_xmd(t["msg"].encode(), data["DST"].encode(), int(t["len_in_bytes"], 16))
                        assert got.hex() == t["uniform_bytes"], (path, t["msg"])
                        checked += 1
                elif name == "BLS12381G2_XMD:SHA-256_SSWU_RO_.json":
                    data = json.load(open(path))
                    for t in data["vectors"]:
                        u, pt = hash_to_g2(t["msg"].encode(), data["dst"].encode())
                        assert [u[0], u[1]] == [_fp2_of(t["u"][0]), _fp2_of(t["u"][1])], (path, t["msg"])
                        x, y = normalize(pt)
                        assert tuple(x.coeffs) == _fp2_of(t["P"]["x"]), (path, t["msg"])
                        assert tuple(y.coeffs) == _fp2_of(t["P"]["y"]), (path, t["msg"])
                        checked += 1
                elif name == "map_fp2_to_G2_bls.json":
                    for t in json.load(open(path)):
                        inp = bytes.fromhex(t["Input"])
                        u = FQ2([int.from_bytes(inp[0:64], "big"), int.from_bytes(inp[64:128], "big")])
                        got = g2_padded(clear_cofactor_G2(map_to_curve_G2(u)))
                        assert got.hex() == t["Expected"], (path, t["Name"])
                        checked += 1
                elif name == "add_G1_bls.json":
                    for t in json.load(open(path)):
                        inp = bytes.fromhex(t["Input"])
                        if inp[:128] == bytes(128) or inp[128:] == bytes(128):
                            continue
                        a = (_g1_from(inp[:128]), _g1_from(inp[128:]))
                        total = add(*a)
                        got = bytes(128) if is_inf(total) else g1_padded(total)
                        assert got.hex() == t["Expected"], (path, t["Name"])
                        checked += 1
    return checked


def _g1_from(padded: bytes):
    return (FQ(int.from_bytes(padded[:64], "big")), FQ(int.from_bytes(padded[64:], "big")), FQ(1))


# ---------------------------------------------------------------------------------------------- vectors


class SpnPop(G2ProofOfPossession):
    """py_ecc's own PopProve/Sign under SPN's DSTs, to cross-check the hand-written signing below."""

    DST = DST_SIG
    POP_TAG = DST_POP


def main():
    args = sys.argv[1:]
    if args and args[0] == "--check":
        n = check_published(args[1:])
        assert n > 0, "no published vectors found"
        print(f"script agrees with {n} published vectors", file=sys.stderr)

    # Fixed vectors of RFC 9380 (K.1, J.10.1) and the SPN DSTs, recomputed here.
    xmd = []
    cases = [(RFC_XMD_DST, 0x20, RFC_MSGS), (RFC_XMD_DST, 0x80, RFC_MSGS)]
    # Lengths that are not a multiple of 32, and the largest (ell = 255).
    cases += [(RFC_XMD_DST, n, [b"abc"]) for n in (0, 1, 33, 255 * 32)]
    cases += [(DST_SIG, 256, [b"", bytes(range(32))]), (DST_POP, 256, [b"", bytes(range(32))])]
    for dst, length, msgs in cases:
        for m in msgs:
            xmd.append({"dst": h(dst), "len": length, "msg": h(m), "uniform": h(expand_message_xmd(m, dst, length))})

    h2c = []
    spn_msgs = [bytes(32), bytes(range(32)), hashlib.sha256(b"spn").digest(), b"\xff" * 48]
    for dst, msgs in [(RFC_G2_DST, RFC_MSGS), (DST_SIG, spn_msgs), (DST_POP, spn_msgs)]:
        for m in msgs:
            u, pt = hash_to_g2(m, dst)
            h2c.append(
                {"dst": h(dst), "msg": h(m), "p": h(g2_padded(pt)), "u0": h(fp2(*u[0])), "u1": h(fp2(*u[1]))}
            )

    # Keys and signatures: pk = sk·G1, sig = sk·H(msg, DST_SIG), pop = sk·H(compress(pk), DST_POP).
    keys = []
    for sk in [1, 2, 3, 0x5350, curve_order - 1, int.from_bytes(hashlib.sha256(b"spn.bls.test").digest(), "big") % curve_order]:
        pk = multiply(G1, sk)
        msg = hashlib.sha256(b"spn.state-transition" + sk.to_bytes(32, "big")).digest()
        sig = multiply(hash_to_g2(msg, DST_SIG)[1], sk)
        pop = multiply(hash_to_g2(compress_g1(pk), DST_POP)[1], sk)
        # py_ecc's ciphersuite, its own compression and signing, must agree.
        assert compress_g1(pk) == G1_to_pubkey(pk)
        assert SpnPop.Verify(compress_g1(pk), msg, SpnPop.Sign(sk, msg))
        assert SpnPop.Sign(sk, msg) == G2_to_signature(sig)
        assert SpnPop.PopProve(sk) == G2_to_signature(pop)
        keys.append(
            {
                "msg": h(msg),
                "pk": h(unpad(g1_padded(pk))),
                "pkCompressed": h(compress_g1(pk)),
                "pop": h(unpad(g2_padded(pop))),
                "sig": h(unpad(g2_padded(sig))),
                "sk": h(sk.to_bytes(32, "big")),
            }
        )

    # Points on the curves but outside the prime-order subgroups: RFC 9380's map_to_curve before cofactor clearing.
    g1_outside = map_to_curve_G1(FQ(int.from_bytes(hashlib.sha256(b"spn.g1.outside").digest(), "big") % P))
    g2_outside = map_to_curve_G2(FQ2([7, 11]))
    assert not is_inf(multiply(g1_outside, curve_order)) and not is_inf(multiply(g2_outside, curve_order))
    assert is_on_curve(g1_outside, b) and is_on_curve(g2_outside, b2)

    # Group constants.
    group = {
        "g1OutsideSubgroup": h(g1_padded(g1_outside)),
        "g2OutsideSubgroup": h(g2_padded(g2_outside)),
        "g1": h(g1_padded(G1)),
        "g1Double": h(g1_padded(multiply(G1, 2))),
        "g1Triple": h(g1_padded(multiply(G1, 3))),
        "g1Neg": h(g1_padded(neg(G1))),
        "g2": h(g2_padded(G2)),
        "g2Double": h(g2_padded(multiply(G2, 2))),
        "halfP": h(((P - 1) // 2).to_bytes(48, "big")),
        "p": h(P.to_bytes(48, "big")),
    }

    out = {
        "_generatedBy": "test/vectors/bls/generate.py (py_ecc 8.0.0); see README.md",
        "expandMessageXmd": xmd,
        "group": group,
        "hashToG2": h2c,
        "keys": keys,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bls12381.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"wrote {path}: {len(xmd)} expand, {len(h2c)} hash-to-G2, {len(keys)} keys", file=sys.stderr)


if __name__ == "__main__":
    main()
