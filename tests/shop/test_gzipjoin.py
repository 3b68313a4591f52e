"""core/gzipjoin: a gzip body from parts compressed once and per-response pieces."""

import gzip
import os
import zlib

import pytest

from core.gzipjoin import accepts_gzip, deflate_parts, gzip_join


@pytest.mark.parametrize(
    ("parts", "filler"),
    [
        ([b"<html>only one part</html>"], b""),
        ([b"a" * 5000, b"b" * 3000, b"c"], b'value="TOKEN"'),
        ([b"", b"", b""], b"x"),
        ([os.urandom(70_000), b"tail"], os.urandom(70_000)),  # stored blocks over 65,535 bytes
        ([("é ünïcode " * 300).encode(), b"<p>" * 50], "🙂".encode()),
    ],
)
def test_the_joined_body_is_one_valid_gzip_member_of_the_whole_text(parts, filler):
    body = gzip_join(parts, deflate_parts(parts, len(filler)), filler)
    assert gzip.decompress(body) == filler.join(parts)
    streamed = zlib.decompressobj(wbits=31)  # as a browser decodes it, trailer checked
    assert streamed.decompress(body) + streamed.flush() == filler.join(parts)
    assert streamed.eof
    assert streamed.unused_data == b""


def test_compressed_size_does_not_depend_on_the_filler():
    parts = [b'<form><input name="t" value="', b'"></form>' * 40]
    segments = deflate_parts(parts, 64)
    sizes = {
        len(gzip_join(parts, segments, token))
        for token in (
            b"a" * 64,
            b"b" * 64,
            b"aaaaaaaaaabbbbbbbbbb" * 3 + b"abcd",
            b'"></form>' * 7 + b"x",
        )
    }
    assert len(sizes) == 1  # stored, never compressed: nothing for a BREACH-style attack


def test_a_page_cut_at_its_slots_compresses_about_as_well_as_whole():
    card = b"<li class='card'><a href='/products/x/'>Product</a><p>A good product.</p><form>"
    page = (b"<header>" + b"nav " * 500 + b"</header>") + (card + b"SLOT</form></li>") * 24
    parts = page.split(b"SLOT")
    joined = gzip_join(parts, deflate_parts(parts, 4), b"SLOT")
    whole = gzip.compress(page, 5)
    assert len(joined) < len(whole) + 20 * len(parts)  # a sync flush and a stored block each
    assert len(joined) < len(page) / 5


def test_segments_made_once_are_right_for_any_filler_of_their_length():
    """The parts refer back across the slots, never into them."""
    page = b'<li><form><input name="t" value="TOKEN"><p>Card</p></form></li>' * 50
    parts = page.split(b"TOKEN")
    segments = deflate_parts(parts, 5)
    for filler in (b"TOKEN", b"AAAAA", b"</li>", b"\x00\x00\x00\x00\x00", os.urandom(5)):
        assert gzip.decompress(gzip_join(parts, segments, filler)) == filler.join(parts)


def test_parts_with_nul_bytes_are_compressed_without_history():
    parts = [b"a\x00\x00\x00b" * 100, b"\x00\x00\x00" * 100]
    segments = deflate_parts(parts, 3)
    assert gzip.decompress(gzip_join(parts, segments, b"xyz")) == b"xyz".join(parts)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8, *;q=0.1", True),
        ("GZIP", True),
        ("*", True),
        ("", False),
        ("identity", False),
        ("deflate, br", False),
        ("gzip;q=0", False),
        ("gzip;q=0.000", False),
        ("*;q=0", False),
        ("gzip;q=abc", False),
        ("*, gzip;q=0", False),
    ],
)
def test_accept_encoding(header, expected):
    assert accepts_gzip(header) is expected
