"""Fixed-size thumbnails for product images, made with Pillow."""

import io
from pathlib import PurePath

from django.core.files.base import ContentFile
from PIL import Image, ImageOps

# name: (box size in pixels, square crop?)
THUMBNAIL_SIZES = {
    # the small pictures: a product page's gallery thumbnails (72 CSS px), the cart's (64) and
    # the search suggestions' (40): sharp up to 3 device pixels per CSS pixel, about a third
    # of the bytes of the listing picture they were before (a photograph: 21 KB, not 56)
    "small": (240, True),
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
    """Write the small, listing, detail and zoom thumbnails of a ProductImage and save it.

    The thumbnails it had stay where they are: other pictures may name the same files
    (seed_demo shares them), and the nightly clean-up (catalog.services.delete_orphan_pictures)
    deletes them once no picture does."""
    stem = PurePath(image.image.name).stem
    with image.image.open("rb") as source:
        for name, (size, square) in THUMBNAIL_SIZES.items():
            data = render_thumbnail(source, size=size, square=square)
            field = getattr(image, f"thumb_{name}")
            field.save(f"{stem}-{name}.webp", ContentFile(data), save=False)
    image.save(update_fields=[f"thumb_{name}" for name in THUMBNAIL_SIZES])


def fill_small_thumbnails() -> tuple[int, list[str]]:
    """Write the small thumbnail of every picture from before it existed (they show their
    listing thumbnail until then). Pictures that share one file (the demo catalog's) get one
    thumbnail. Safe to run twice and while the shop runs: a row that has one is left alone.

    Returns how many files were written and the names of the originals that could not be read.
    """
    from .models import ProductImage

    size, square = THUMBNAIL_SIZES["small"]
    field = ProductImage._meta.get_field("thumb_small")
    missing = ProductImage.objects.filter(thumb_small="").exclude(image="")
    written, unreadable = 0, []
    # the names first (strings only): rows change under the loop
    names = list(missing.order_by("image").values_list("image", flat=True).distinct())
    for name in names:
        try:
            with field.storage.open(name, "rb") as source:
                data = render_thumbnail(source, size=size, square=square)
        except (OSError, ValueError, Image.DecompressionBombError):
            unreadable.append(name)
            continue
        stored = field.storage.save(
            field.generate_filename(None, f"{PurePath(name).stem}-small.webp"), ContentFile(data)
        )
        missing.filter(image=name).update(thumb_small=stored)
        written += 1
    return written, unreadable
