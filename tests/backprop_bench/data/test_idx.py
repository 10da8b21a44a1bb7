"""The IDX reader on small files written here: valid files round-trip, every bad case is named."""

from __future__ import annotations

import gzip
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from backprop_bench.data.idx import IDX_TYPES, MARGIN, encode_idx, read_idx
from backprop_bench.errors import DatasetError

IMAGES = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)


def write(path, data: bytes, *, compress: bool):
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def test_header_layout_by_hand():
    # magic 0x00000803 (unsigned byte, 3 dims), then the dims 2, 3, 4 as big-endian uint32
    data = encode_idx(IMAGES)
    assert data[:4] == b"\x00\x00\x08\x03"
    assert data[4:16] == b"\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04"
    assert data[16:] == IMAGES.tobytes()


@pytest.mark.parametrize("compress", [True, False], ids=["gz", "raw"])
def test_reads_gz_and_raw_files(tmp_path, compress):
    name = "images.idx3-ubyte.gz" if compress else "images.idx3-ubyte"
    array = read_idx(write(tmp_path / name, encode_idx(IMAGES), compress=compress))
    assert array.dtype == np.uint8
    np.testing.assert_array_equal(array, IMAGES)
    array[0, 0, 0] = 7  # a writable copy, not a view of the file's bytes


def test_gzip_content_is_detected_without_gz_suffix(tmp_path):
    path = write(tmp_path / "labels", encode_idx(np.array([1, 2, 3], np.uint8)), compress=True)
    np.testing.assert_array_equal(read_idx(path), [1, 2, 3])


@given(
    hnp.arrays(
        dtype=st.sampled_from([t.newbyteorder("=") for t in IDX_TYPES.values()]),
        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
    )
)
def test_every_idx_type_round_trips(array):
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder) / "a.gz", encode_idx(array), compress=True)
        result = read_idx(path)
    assert result.dtype == array.dtype and result.shape == array.shape
    np.testing.assert_array_equal(result, array)  # NaNs compare equal here


def bad(tmp_path, name: str, data: bytes) -> str:
    """The message of the ``DatasetError`` reading ``data`` as file ``name``; it names the file."""
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DatasetError) as caught:
        read_idx(path)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    return message


def test_truncated_gzip(tmp_path):
    data = gzip.compress(encode_idx(IMAGES))
    assert "truncated" in bad(tmp_path, "t.gz", data[: len(data) // 2])


def test_gz_name_but_not_gzip(tmp_path):
    assert "not a gzip file" in bad(tmp_path, "t.gz", encode_idx(IMAGES))


def test_corrupt_gzip_stream(tmp_path):
    data = bytearray(gzip.compress(encode_idx(IMAGES) * 50))
    data[20:40] = b"\xff" * 20
    assert "gzip" in bad(tmp_path, "t.gz", bytes(data))


@pytest.mark.parametrize(
    "magic",
    [b"\x00\x01\x08\x03", b"\x00\x00\x07\x03", b"\x00\x00\x08\x00", b"PK\x03\x04"],
    ids=["nonzero-prefix", "unknown-type", "zero-dims", "junk"],
)
def test_wrong_magic_number(tmp_path, magic):
    data = magic + encode_idx(IMAGES)[4:]
    assert "magic number" in bad(tmp_path, "t.idx", data)


@pytest.mark.parametrize("change", [-1, 1], ids=["payload-short", "payload-long"])
def test_dims_do_not_match_payload(tmp_path, change):
    data = encode_idx(IMAGES)
    data = data[:change] if change < 0 else data + b"\x00"
    message = bad(tmp_path, "t.gz", gzip.compress(data))
    assert "(2, 3, 4) need 24 payload bytes" in message
    assert f"has {24 + change}" in message


def test_header_cut_inside_the_dims(tmp_path):
    assert "ends early" in bad(tmp_path, "t.idx", encode_idx(IMAGES)[:9])


@pytest.mark.parametrize("data", [b"", b"\x00\x00"], ids=["empty", "two-bytes"])
def test_too_short_for_a_header(tmp_path, data):
    assert "too short" in bad(tmp_path, "t.idx", data)


def test_missing_file(tmp_path):
    path = tmp_path / "absent.gz"
    with pytest.raises(DatasetError, match=f"{path}: cannot read"):
        read_idx(path)


def test_encode_refuses_types_idx_cannot_hold():
    with pytest.raises(ValueError, match="IDX holds"):
        encode_idx(np.zeros(3, dtype=np.uint64))


def test_a_decompression_bomb_is_refused_after_reading_little(tmp_path):
    # a valid header for 2 images, then 64 MiB of zeros: refused once MARGIN bytes past the
    # declared payload have come out, long before the rest is inflated
    payload = 64 * 2**20
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    path = tmp_path / "bomb.gz"
    with open(path, "wb") as file:
        file.write(compressor.compress(encode_idx(IMAGES)))
        zeros = bytes(2**20)
        for _ in range(payload // len(zeros)):
            file.write(compressor.compress(zeros))
        file.write(compressor.flush())
    inflated = []
    real = zlib.decompressobj

    def counting(*args, **kwargs):
        inflater = real(*args, **kwargs)

        class Counting:
            def __getattr__(self, name):
                return getattr(inflater, name)

            def decompress(self, data, max_length=0):
                piece = inflater.decompress(data, max_length)
                inflated.append(len(piece))
                return piece

        return Counting()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(zlib, "decompressobj", counting)
        message = bad(tmp_path, "bomb.gz", path.read_bytes())
    assert f"need 24 payload bytes but the file has more than {24 + MARGIN}" in message
    assert sum(inflated) <= 16 + 24 + MARGIN + 1  # header, payload, margin and one byte


def test_dims_other_than_expected_are_refused_at_the_header(tmp_path):
    path = tmp_path / "t.gz"
    path.write_bytes(gzip.compress(encode_idx(IMAGES)))
    with pytest.raises(
        DatasetError, match=r"declares dims \(2, 3, 4\), expected \(60000, 28, 28\)"
    ):
        read_idx(path, dims=(60000, 28, 28))
    assert read_idx(path, dims=(2, 3, 4)).shape == (2, 3, 4)


def test_an_uncompressed_file_longer_than_its_header_is_refused_before_reading_it(tmp_path):
    path = tmp_path / "t.idx"
    path.write_bytes(encode_idx(IMAGES) + bytes(2**20))
    with pytest.raises(DatasetError, match="need 24 payload bytes but the file has 1048600"):
        read_idx(path)


def test_several_gzip_members_and_zero_padding_are_read(tmp_path):
    data = encode_idx(IMAGES)
    path = tmp_path / "t.gz"
    path.write_bytes(gzip.compress(data[:10]) + gzip.compress(data[10:]) + bytes(100))
    np.testing.assert_array_equal(read_idx(path), IMAGES)
    path.write_bytes(gzip.compress(data) + b"junk")
    with pytest.raises(DatasetError, match="data after its end"):
        read_idx(path)
