import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.images import make_thumbnails
from catalog.models import ProductImage
from catalog.validators import validate_image_upload
from tests.conftest import image_bytes
from tests.factories import ProductFactory


def upload(data: bytes, name: str = "picture.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_real_images_are_accepted(fmt):
    validate_image_upload(upload(image_bytes(fmt)))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.4 not an image at all", "not an image we can read"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "not an image we can read",
        ),
        (image_bytes("PNG")[:60], "not an image we can read"),
        (b"", "not an image we can read"),
    ],
    ids=["pdf-renamed-jpg", "svg", "truncated", "empty"],
)
def test_non_images_and_corrupt_files_are_refused(data, message):
    with pytest.raises(ValidationError) as excinfo:
        validate_image_upload(upload(data))
    assert message in str(excinfo.value)


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "ICO", "PPM"])
def test_images_of_other_formats_are_refused_by_name(fmt):
    with pytest.raises(ValidationError) as excinfo:
        validate_image_upload(upload(image_bytes(fmt)))
    assert f"Upload a JPEG, PNG, WebP or GIF image (this file is {fmt})." in excinfo.value.messages


def test_too_many_bytes_is_refused(settings):
    settings.SHOP_IMAGE_MAX_BYTES = 100
    with pytest.raises(ValidationError) as excinfo:
        validate_image_upload(upload(image_bytes("PNG", (200, 200))))
    assert "at most" in str(excinfo.value)


def test_decompression_bomb_is_refused(settings):
    settings.SHOP_IMAGE_MAX_PIXELS = 1_000_000
    # A tiny file that claims to be 2000 x 2000 pixels.
    out = io.BytesIO()
    Image.new("1", (2000, 2000)).save(out, "PNG")
    assert len(out.getvalue()) < 10_000
    with pytest.raises(ValidationError) as excinfo:
        validate_image_upload(upload(out.getvalue(), "bomb.png"))
    assert "megapixels" in str(excinfo.value)


def test_a_bomb_beyond_pillows_own_limit_is_refused_as_too_many_pixels():
    """Pillow itself refuses to open an image of more than twice its MAX_IMAGE_PIXELS: that
    is a bomb too, not "not an image"."""
    out = io.BytesIO()
    Image.new("1", (20_000, 10_000)).save(out, "PNG")  # 200 megapixels in a few KB
    assert len(out.getvalue()) < 100_000
    with pytest.raises(ValidationError) as excinfo:
        validate_image_upload(upload(out.getvalue(), "bomb.png"))
    assert "far too many pixels" in str(excinfo.value)


@pytest.mark.django_db
def test_thumbnails_are_made_at_fixed_sizes():
    product = ProductFactory()
    image = ProductImage(product=product)
    image.image.save("shot.png", upload(image_bytes("PNG", (1200, 800))), save=True)
    make_thumbnails(image)
    image.refresh_from_db()
    sizes = {}
    for name in ("listing", "detail", "zoom"):
        field = getattr(image, f"thumb_{name}")
        with field.open("rb") as f, Image.open(f) as img:
            sizes[name] = (img.format, img.size)
    assert sizes["listing"] == ("WEBP", (480, 480))
    assert sizes["detail"] == ("WEBP", (960, 640))
    assert sizes["zoom"] == ("WEBP", (1200, 800))  # never upscaled
    assert image.listing_url.endswith(".webp")
