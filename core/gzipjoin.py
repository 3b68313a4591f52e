"""A gzip body made of parts compressed once and short pieces that differ per response.

A cached page is the same for every visitor except its CSRF token slots, which all have the
same length. Each part between the slots is compressed once (``deflate_parts``: raw deflate,
ended with a sync flush so it ends on a byte boundary); a response is those segments with each
slot's bytes between them as *stored* (uncompressed) deflate blocks, one empty final block and
the gzip trailer (``gzip_join``). The result is one ordinary gzip member.

A part may refer back to the text before it (what the decoder has already written): the
segments come from one compressor over the whole page, with the slots as runs of NUL bytes
whose compressed form is cut out. Page text has no NUL bytes (if a part does, each part is
compressed on its own), so nothing ever refers into a slot: the same segments are right
whatever the slots hold, and the compressed length does not depend on the token, so
compression-length attacks on secrets in compressed pages (BREACH) have nothing to measure.
"""

import struct
import zlib
from collections.abc import Sequence

HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # gzip, deflate, no name, no mtime
FINAL_BLOCK = b"\x03\x00"  # an empty final block with fixed Huffman codes
LEVEL = 5  # as deploy/nginx's gzip_comp_level
MAX_STORED = 0xFFFF


def deflate_parts(
    parts: Sequence[bytes], filler_length: int = 0, level: int = LEVEL
) -> tuple[bytes, ...]:
    """Each part as a raw deflate segment that ends byte-aligned and is not final; with
    ``filler_length``, the length of what goes between the parts in every response.

    One compressor goes through the page, with a run of NUL bytes where each filler goes; the
    compressed run is cut out (a sync flush before and after it puts it in blocks of its own)
    and replaced per response by the filler as stored blocks of the same length."""
    if any(b"\x00" in part for part in parts):  # could refer into a NUL run: no history
        return tuple(_deflate_alone(part, level) for part in parts)
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    placeholder = b"\x00" * filler_length
    segments = []
    for index, part in enumerate(parts):
        if index and placeholder:
            compressor.compress(placeholder)
            compressor.flush(zlib.Z_SYNC_FLUSH)  # the run's own blocks: left out
        segments.append(compressor.compress(part) + compressor.flush(zlib.Z_SYNC_FLUSH))
    return tuple(segments)


def _deflate_alone(part: bytes, level: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(part) + compressor.flush(zlib.Z_SYNC_FLUSH)


def _stored(data: bytes) -> bytes:
    blocks = []
    for start in range(0, len(data), MAX_STORED):
        chunk = data[start : start + MAX_STORED]
        blocks.append(b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(blocks)


def gzip_join(parts: Sequence[bytes], segments: Sequence[bytes], filler: bytes) -> bytes:
    """gzip of ``filler.join(parts)``, from ``segments = deflate_parts(parts, len(filler))``
    (a filler of another length would shift what the segments refer back to)."""
    out = [HEADER]
    crc, size = 0, 0
    stored_filler = _stored(filler) if filler else b""
    for index, (part, segment) in enumerate(zip(parts, segments, strict=True)):
        if index:
            out.append(stored_filler)
            crc = zlib.crc32(filler, crc)
            size += len(filler)
        out.append(segment)
        crc = zlib.crc32(part, crc)
        size += len(part)
    out.append(FINAL_BLOCK)
    out.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
    return b"".join(out)


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header value accepts gzip (RFC 9110: ``gzip`` or ``*``
    without ``q=0``)."""
    wildcard = False
    for item in header.lower().split(","):
        name, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name.strip() == "gzip":
            return q > 0
        if name.strip() == "*":
            wildcard = q > 0
    return wildcard
