"""ZIP bodies: members inflated block by block, counted against the cap as they come."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile

import pytest

from adapters.entsoe_xml import BodyTooLarge, MalformedDocument, UnsupportedDocument, parse_document
from tests.unit.entsoe_documents import FIXTURES, zipped

CAP = 16 * 2**20
LOAD = (FIXTURES / "load_61a_actual_total_load_NL.xml").read_bytes()


def bomb(inflated: int) -> bytes:
    """One deflated member of ``inflated`` bytes of blanks after a real document's start."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("answer.xml", "w") as member,
    ):
        member.write(LOAD[:200])
        block = b" " * 2**20
        for _ in range(inflated // len(block)):
            member.write(block)
    return buffer.getvalue()


def peak_while_refused(body: bytes, cap: int) -> int:
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge, match=f"cap of {cap:,} bytes"):
            parse_document(body, label="bomb.zip", max_member_bytes=cap)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_zip_bomb_is_refused_with_memory_bounded_by_the_cap() -> None:
    body = bomb(200 * 2**20)
    assert len(body) < 300_000
    # What is held at most: the cap, the buffer's growth margin and a block or two being read
    # (reading the member whole, as before, held twice the cap).
    assert peak_while_refused(body, CAP) < CAP * 1.5


def test_the_size_an_archive_claims_for_a_member_is_not_trusted() -> None:
    body = bytearray(bomb(64 * 2**20))
    # Claim an inflated size of 100 bytes in the central directory, which zipfile reads.
    directory = body.index(b"PK\x01\x02")
    struct.pack_into("<I", body, directory + 24, 100)
    with pytest.raises(MalformedDocument, match="damaged ZIP archive: Bad CRC-32"):
        parse_document(bytes(body), max_member_bytes=CAP)
    # Claim nearly 4 GiB: inflating still stops at the cap.
    struct.pack_into("<I", body, directory + 24, 0xFFFFFFFE)
    assert peak_while_refused(bytes(body), CAP) < CAP * 1.5


def test_members_share_the_cap() -> None:
    member = LOAD + b" " * (CAP // 2)
    with pytest.raises(BodyTooLarge, match="together with the members before it"):
        parse_document(zipped([("a.xml", member), ("b.xml", member)]), max_member_bytes=CAP)
    one = parse_document(zipped([("a.xml", member)]), max_member_bytes=CAP)
    assert isinstance(one, tuple)
    assert len(one) == 1


@pytest.mark.parametrize(
    ("method", "name"), [(zipfile.ZIP_BZIP2, "12"), (zipfile.ZIP_LZMA, "14")], ids=["bzip2", "lzma"]
)
def test_members_that_cannot_be_inflated_within_a_bound_are_refused(method: int, name: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("answer.xml", LOAD)
    with pytest.raises(
        UnsupportedDocument, match=f"answer.xml\\) is compressed with ZIP method {name}"
    ):
        parse_document(buffer.getvalue())
