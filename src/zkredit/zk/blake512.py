"""BLAKE-512, the SHA-3 finalist (16 rounds), as the npm ``blake-hash`` package computes it.

circomlibjs derives EdDSA keys and nonces with it. This is *not* BLAKE2b
(``hashlib.blake2b``): the constants, rounds, rotations and padding all differ.
"""

from __future__ import annotations

from zkredit.errors import InputError

_MASK = (1 << 64) - 1

# Same initial value as SHA-512.
_IV = (
    0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
    0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179,
)  # fmt: skip

# The first 1024 fractional bits of pi.
_C = (
    0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0, 0x082EFA98EC4E6C89,
    0x452821E638D01377, 0xBE5466CF34E90C6C, 0xC0AC29B7C97C50DD, 0x3F84D5B5B5470917,
    0x9216D5D98979FB1B, 0xD1310BA698DFB5AC, 0x2FFD72DBD01ADFB7, 0xB8E1AFED6A267E96,
    0xBA7C9045F12C7F99, 0x24A19947B3916CF7, 0x0801F2E2858EFC16, 0x636920D871574E69,
)  # fmt: skip

_SIGMA = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
    (11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4),
    (7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8),
    (9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13),
    (2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9),
    (12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11),
    (13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10),
    (6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5),
    (10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0),
)

_ROUNDS = 16
# (a, b, c, d) state indices of the four column steps then the four diagonal steps.
_STEPS = (
    (0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
    (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14),
)  # fmt: skip


def _round_schedule(r: int) -> tuple[tuple[int, int, int, int], ...]:
    # Step i of round r uses message words j0 = sigma_r(2i), j1 = sigma_r(2i+1),
    # each XORed with the pi constant of the other index: (j0, j1, c[j1], c[j0]).
    sig = _SIGMA[r % 10]
    return tuple((sig[2 * i], sig[2 * i + 1], _C[sig[2 * i + 1]], _C[sig[2 * i]]) for i in range(8))


_SCHEDULE = tuple(_round_schedule(r) for r in range(_ROUNDS))


def _compress(h: list[int], block: bytes, counter: int) -> None:
    m = [int.from_bytes(block[i : i + 8], "big") for i in range(0, 128, 8)]
    t0 = counter & _MASK
    t1 = counter >> 64
    # The salt is all zero, so its XOR into v[8..11] and the output drops out.
    v = [
        *h,
        _C[0], _C[1], _C[2], _C[3],
        t0 ^ _C[4], t0 ^ _C[5], t1 ^ _C[6], t1 ^ _C[7],
    ]  # fmt: skip
    for rnd in _SCHEDULE:
        for (ia, ib, ic, id_), (j0, j1, k1, k0) in zip(_STEPS, rnd, strict=True):
            a, b, c, d = v[ia], v[ib], v[ic], v[id_]
            a = (a + b + (m[j0] ^ k1)) & _MASK
            d ^= a
            d = (d >> 32) | ((d << 32) & _MASK)
            c = (c + d) & _MASK
            b ^= c
            b = (b >> 25) | ((b << 39) & _MASK)
            a = (a + b + (m[j1] ^ k0)) & _MASK
            d ^= a
            d = (d >> 16) | ((d << 48) & _MASK)
            c = (c + d) & _MASK
            b ^= c
            b = (b >> 11) | ((b << 53) & _MASK)
            v[ia], v[ib], v[ic], v[id_] = a, b, c, d
    for i in range(8):
        h[i] ^= v[i] ^ v[i + 8]


def blake512(data: bytes | bytearray | memoryview) -> bytes:
    """Return the 64-byte BLAKE-512 digest of ``data``."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InputError(f"blake512 takes bytes. Got {type(data).__name__}")
    msg = bytes(data)
    bit_len = len(msg) * 8
    # Pad with a 1 bit, zeros, a final 1 bit, then the 128-bit length, to a
    # multiple of 128 bytes (0x81 when the two 1 bits share a byte).
    pad_len = (111 - len(msg)) % 128 + 1
    padding = bytearray(pad_len)
    padding[0] |= 0x80
    padding[-1] |= 0x01
    padded = msg + bytes(padding) + bit_len.to_bytes(16, "big")

    h = list(_IV)
    for k in range(len(padded) // 128):
        start = k * 1024
        # The counter is the number of message bits up to the end of this
        # block, except that a block holding only padding counts zero.
        counter = 0 if start >= bit_len else min(bit_len, start + 1024)
        _compress(h, padded[k * 128 : (k + 1) * 128], counter)
    return b"".join(x.to_bytes(8, "big") for x in h)
