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


def picture(product, name: str, size=(1200, 800), **fields) -> ProductImage:
    image = ProductImage(product=product, **fields)
    image.image.save(name, upload(image_bytes("PNG", size)), save=True)
    return image


@pytest.mark.django_db
def test_small_pictures_come_from_a_small_thumbnail(client, django_capture_on_commit_callbacks):
    """The gallery's thumbnails (72 px), the cart's (64) and the suggestions' (40) were the
    listing's 480 px picture: five times the bytes a phone needs for them."""
    with django_capture_on_commit_callbacks(execute=True):  # the search index follows
        product = ProductFactory(name="Brass Lantern")
    first = picture(product, "front.png")
    second = picture(product, "back.png", position=1)
    for image in (first, second):
        make_thumbnails(image)
        image.refresh_from_db()
    with first.thumb_small.open("rb") as f, Image.open(f) as img:
        assert (img.format, img.size) == ("WEBP", (240, 240))
    assert first.small_url.endswith("-small.webp")

    page = client.get(product.get_absolute_url()).content.decode()
    assert f'<img src="{first.small_url}" alt="Picture 1 of 2' in page
    assert f'<img src="{second.small_url}" alt="Picture 2 of 2' in page
    assert first.listing_url not in page  # the related products are other products

    suggestions = client.get("/search/suggest/", {"q": "brass"}).json()
    assert [p["image"] for p in suggestions["products"]] == [first.small_url]

    client.post("/cart/add/", {"variant": product.variants.get().pk, "quantity": 1})
    cart = client.get("/cart/").content.decode()
    assert f'<img class="cart-thumb" src="{first.small_url}"' in cart


@pytest.mark.django_db
def test_pictures_from_before_the_small_thumbnail_get_one_from_the_command():
    from django.core.management import call_command

    product = ProductFactory(name="Tin Lantern")
    old = picture(product, "old.png")
    make_thumbnails(old)
    ProductImage.objects.filter(pk=old.pk).update(thumb_small="")  # as uploaded before it
    shared = ProductImage.objects.create(  # another row with the same file (as the demo's)
        product=ProductFactory(), image=old.image.name, position=0
    )
    old.refresh_from_db()
    assert old.small_url == old.listing_url  # until then: the listing picture, not nothing

    out = io.StringIO()
    call_command("fill_small_thumbnails", stdout=out)
    assert "1 small thumbnail written." in out.getvalue()  # one file for both rows
    old.refresh_from_db()
    shared.refresh_from_db()
    assert old.thumb_small.name == shared.thumb_small.name != ""
    with old.thumb_small.open("rb") as f, Image.open(f) as img:
        assert img.size == (240, 240)

    out = io.StringIO()
    call_command("fill_small_thumbnails", stdout=out)  # again: nothing left to do
    assert "0 small thumbnails written." in out.getvalue()
