"""Checks on uploaded product images: only real, reasonably sized raster images get in."""

import contextlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def validate_image_upload(upload) -> None:
    """Refuse files that are too big, not images (whatever their name), corrupt or bombs.

    Raises ValidationError with a message meant for the person who uploaded the file.
    A picture already stored (a product saved again in admin) was checked when it came in and
    is left alone: its file is closed by then, and reading it again would fail.
    """
    if getattr(upload, "_committed", False):
        return
    size = getattr(upload, "size", None)
    if size is not None and size > settings.SHOP_IMAGE_MAX_BYTES:
        raise ValidationError(
            "This file is %(size)s; images may be at most %(limit)s.",
            code="too_large",
            params={
                "size": filesizeformat(size),
                "limit": filesizeformat(settings.SHOP_IMAGE_MAX_BYTES),
            },
        )
    file = getattr(upload, "file", upload)
    try:
        position = file.tell()
    except (AttributeError, OSError, ValueError):
        position = None
    try:
        file.seek(0)
        with Image.open(file) as img:
            fmt = img.format
            width, height = img.size
            if fmt not in ALLOWED_FORMATS:
                raise ValidationError(
                    "Upload a JPEG, PNG, WebP or GIF image (this file is %(format)s).",
                    code="bad_format",
                    params={"format": fmt or "not an image"},
                )
            if width * height > settings.SHOP_IMAGE_MAX_PIXELS:
                raise ValidationError(
                    "This image is %(w)s × %(h)s pixels; at most %(mp)s megapixels are allowed.",
                    code="too_many_pixels",
                    params={
                        "w": width,
                        "h": height,
                        "mp": settings.SHOP_IMAGE_MAX_PIXELS // 1_000_000,
                    },
                )
            img.verify()
    except ValidationError:
        raise
    except Image.DecompressionBombError:  # over twice Pillow's own limit: refused at opening
        raise ValidationError(
            "This image has far too many pixels; at most %(mp)s megapixels are allowed.",
            code="too_many_pixels",
            params={"mp": settings.SHOP_IMAGE_MAX_PIXELS // 1_000_000},
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            "This file is not an image we can read, or it is damaged. "
            "Upload a JPEG, PNG, WebP or GIF image.",
            code="invalid_image",
        ) from None
    finally:
        if position is not None:
            with contextlib.suppress(OSError, ValueError):
                file.seek(position)
