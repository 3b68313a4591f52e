"""Fixed-size thumbnails for product images, made with Pillow."""

import io
from pathlib import PurePath

from django.core.files.base import ContentFile
from PIL import Image, ImageOps

# name: (box size in pixels, square crop?)
THUMBNAIL_SIZES = {
    "listing": (480, True),
    "detail": (960, False),
    "zoom": (1600, False),
}


def render_thumbnail(source, *, size: int, square: bool) -> bytes:
    """Return WebP bytes of ``source`` fitted into a ``size`` box (cropped square if asked)."""
    source.seek(0)
    with Image.open(source) as img:
        img = ImageOps.exif_transpose(img)
        img = img.convert("RGBA" if img.mode in ("RGBA", "LA", "P") else "RGB")
        if square:
            img = ImageOps.fit(img, (size, size), Image.Resampling.LANCZOS)
        else:
            img.thumbnail((size, size), Image.Resampling.LANCZOS)
        if img.mode == "RGBA":
            background = Image.new("RGB", img.size, (255, 255, 255))
            background.paste(img, mask=img.split()[3])
            img = background
        out = io.BytesIO()
        img.save(out, "WEBP", quality=82, method=4)
        return out.getvalue()


def make_thumbnails(image) -> None:
    """Write the listing, detail and zoom thumbnails of a ProductImage and save it.

    The thumbnails it had stay where they are: other pictures may name the same files
    (seed_demo shares them), and the nightly clean-up (catalog.services.delete_orphan_pictures)
    deletes them once no picture does."""
    stem = PurePath(image.image.name).stem
    with image.image.open("rb") as source:
        for name, (size, square) in THUMBNAIL_SIZES.items():
            data = render_thumbnail(source, size=size, square=square)
            field = getattr(image, f"thumb_{name}")
            field.save(f"{stem}-{name}.webp", ContentFile(data), save=False)
    image.save(update_fields=["thumb_listing", "thumb_detail", "thumb_zoom"])
