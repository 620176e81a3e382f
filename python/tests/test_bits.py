"""Bit order: sigah and FAISS are LSB first; numpy.packbits is MSB first unless
told otherwise. pack_bits / unpack_bits round-trip, and mixing orders is caught."""

from __future__ import annotations

import numpy as np
import pytest

import sigah

from conftest import random_codes


def test_bit_j_is_byte_j_over_8_shifted_by_j_mod_8():
    bits = np.zeros((1, 16), dtype=bool)
    bits[0, 3] = bits[0, 9] = True
    codes = sigah.pack_bits(bits)
    assert codes.tolist() == [[1 << 3, 1 << 1]]
    # numpy's default order puts bit 3 at 1 << 4: the other order.
    assert np.packbits(bits, axis=1).tolist() == [[1 << 4, 1 << 6]]


def test_round_trip_and_msb_conversion():
    codes = random_codes(100, 8, seed=1)
    bits = sigah.unpack_bits(codes)
    assert bits.shape == (100, 64) and set(np.unique(bits)) <= {0, 1}
    np.testing.assert_array_equal(sigah.pack_bits(bits), codes)
    np.testing.assert_array_equal(np.packbits(bits, axis=1, bitorder="little"), codes)
    # MSB-first bytes (numpy's default) are each byte's bits reversed.
    msb = np.packbits(bits, axis=1)
    rev = np.array([int(f"{b:08b}"[::-1], 2) for b in range(256)], dtype=np.uint8)
    np.testing.assert_array_equal(rev[msb], codes)
    # The conversion recipe: unpack in numpy's order, pack in sigah's.
    np.testing.assert_array_equal(sigah.pack_bits(np.unpackbits(msb, axis=1)), codes)
    np.testing.assert_array_equal(np.packbits(sigah.unpack_bits(codes), axis=1), msb)


def test_model_bits_are_the_signs_in_lsb_order():
    x = np.random.default_rng(2).standard_normal((200, 24)).astype(np.float32)
    lsh = sigah.LSH(16, seed=5).fit(x)
    mean, proj = lsh.params()
    v = (x - mean) @ proj
    clear = np.abs(v) > 1e-4
    got = sigah.unpack_bits(lsh.encode(x)).astype(bool)
    np.testing.assert_array_equal(got[clear], (v > 0)[clear])


def test_mixing_orders_changes_the_neighbours():
    """Hamming distance survives permuting every code's bits the same way, but
    queries packed MSB-first against an LSB-first base give wrong neighbours."""
    codes = random_codes(400, 4, seed=3)
    bits = sigah.unpack_bits(codes)
    q_bits = bits[:20]
    right = sigah.HammingIndex(codes).search(sigah.pack_bits(q_bits), 1)
    assert (right[0][:, 0] == 0).all() and (right[1][:, 0] == np.arange(20)).all()
    wrong = sigah.HammingIndex(codes).search(np.packbits(q_bits, axis=1), 1)
    assert (wrong[1][:, 0] != np.arange(20)).sum() > 10
    # Both sides MSB-first: the same distances (a common permutation).
    both = sigah.HammingIndex(np.packbits(bits, axis=1)).search(np.packbits(q_bits, axis=1), 5)
    np.testing.assert_array_equal(both[0], sigah.HammingIndex(codes).search(codes[:20], 5)[0])


def test_pack_bits_rejects_bad_shapes():
    with pytest.raises(ValueError, match="not a multiple of 8"):
        sigah.pack_bits(np.zeros((2, 12), bool))
    with pytest.raises(ValueError, match="2-D"):
        sigah.pack_bits(np.zeros(8, bool))
    with pytest.raises(ValueError, match="expected uint8"):
        sigah.unpack_bits(np.zeros((2, 2), np.int32))
