"""The nightly clean-up of picture files: a picture replaced or deleted (or its product) and
an upload that failed half way left its files in the media storage for ever."""

import datetime
import os

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from catalog.images import make_thumbnails
from catalog.models import ProductImage
from catalog.services import delete_orphan_pictures
from tests.conftest import image_bytes
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def picture(product, name="photo.png") -> ProductImage:
    image = ProductImage(product=product)
    image.image.save(name, ContentFile(image_bytes(), name=name), save=True)
    make_thumbnails(image)
    return image


def files(image: ProductImage) -> list[str]:
    return [image.image.name, image.thumb_small.name, image.thumb_listing.name,
            image.thumb_detail.name, image.thumb_zoom.name]  # fmt: skip


def sharing_the_files_of(image: ProductImage) -> ProductImage:
    """Another product's picture naming the same files (as seed_demo makes them)."""
    names = {field: getattr(image, field).name for field in ("image", *THUMB_FIELDS)}
    return ProductImage.objects.create(product=ProductFactory(), **names)


THUMB_FIELDS = ("thumb_small", "thumb_listing", "thumb_detail", "thumb_zoom")


def age_every_file(days: int = 2) -> None:
    """Make every file in MEDIA_ROOT look written ``days`` ago."""
    then = (timezone.now() - days * DAY).timestamp()
    for folder, _dirs, names in os.walk(settings.MEDIA_ROOT):
        for name in names:
            os.utime(os.path.join(folder, name), (then, then))


def test_files_of_replaced_and_deleted_pictures_go_and_pictures_in_use_stay():
    product = ProductFactory()
    kept = picture(product, "kept.png")
    replaced = picture(product, "first.png")
    replaced_files = files(replaced)
    replaced.image.save("second.png", ContentFile(image_bytes(), name="second.png"), save=True)
    make_thumbnails(replaced)  # as the admin does: new thumbnails
    deleted = picture(ProductFactory(), "gone.png")
    deleted_files = files(deleted)
    deleted.product.delete()  # the product, and its picture with it
    age_every_file()

    assert delete_orphan_pictures() == 5 + 5  # the replaced picture's old five, the deleted's

    for name in replaced_files + deleted_files:
        assert not default_storage.exists(name), name
    for name in files(kept) + files(ProductImage.objects.get(pk=replaced.pk)):
        assert default_storage.exists(name), name
    assert delete_orphan_pictures() == 0  # a second run finds nothing


def test_a_file_several_pictures_share_stays_while_one_names_it():
    first = picture(ProductFactory(), "shared.png")
    second = sharing_the_files_of(first)
    shared = files(first)
    first.delete()
    age_every_file()

    assert delete_orphan_pictures() == 0
    assert all(default_storage.exists(name) for name in shared)

    picture(ProductFactory(), "other.png")  # the shop has other pictures
    second.delete()
    assert delete_orphan_pictures() == 5


def test_a_file_just_written_and_files_outside_the_picture_folders_stay():
    """An upload is stored before the transaction that saves its row commits; a logo copied
    into MEDIA_ROOT (SHOP_LOGO) belongs to no picture."""
    picture(ProductFactory(), "in-use.png")
    logo = default_storage.save("brand/logo.png", ContentFile(image_bytes()))
    age_every_file()
    fresh = default_storage.save("products/7/uploading.png", ContentFile(image_bytes()))

    assert delete_orphan_pictures() == 0

    assert default_storage.exists(logo)
    assert default_storage.exists(fresh)
    assert delete_orphan_pictures(now=timezone.now() + 2 * DAY) == 1
    assert not default_storage.exists(fresh)


def test_many_files_are_checked_a_chunk_at_a_time(django_assert_max_num_queries, monkeypatch):
    monkeypatch.setattr("catalog.services.ORPHAN_CHUNK", 2)
    product = ProductFactory()
    for n in range(3):
        picture(product, f"p{n}.png")
    for n in range(5):
        default_storage.save(f"products/{product.pk}/orphan{n}.png", ContentFile(b"x"))
    age_every_file()

    # whether the shop has pictures, then 8 originals and 3 thumbnails in each of the 4
    # thumbnail folders: 4 + 4 * 2 chunks
    with django_assert_max_num_queries(13):
        assert delete_orphan_pictures() == 5
    assert ProductImage.objects.count() == 3


def test_new_thumbnails_leave_the_old_ones_to_the_clean_up_which_another_picture_may_share():
    """seed_demo's products share picture files: making new thumbnails for one picture deleted
    the old thumbnail files at once, and every product sharing them showed broken pictures."""
    first = picture(ProductFactory(), "shared.png")
    other = sharing_the_files_of(first)
    first.image.save("own.png", ContentFile(image_bytes(), name="own.png"), save=True)
    make_thumbnails(first)  # as the admin does for a replaced picture

    assert all(default_storage.exists(name) for name in files(other))
    age_every_file()
    assert delete_orphan_pictures() == 0  # all still named by the other picture
    other.delete()
    assert delete_orphan_pictures() == 5  # (the first picture's own files stay)


def test_a_database_without_any_picture_leaves_the_media_alone():
    """A new server whose uploads were copied back before its database was restored (or a
    DATABASE_URL naming the wrong database): every file looks unused, and none may go."""
    image = picture(ProductFactory(), "restored.png")
    names = files(image)
    ProductImage.objects.all().delete()
    age_every_file()

    assert delete_orphan_pictures() == 0
    assert all(default_storage.exists(name) for name in names)


def test_a_file_the_other_run_deleted_meanwhile_is_skipped(monkeypatch):
    """Two runs at once (beat queued the job twice): each file goes once, neither run fails."""
    picture(ProductFactory(), "in-use.png")
    orphans = [default_storage.save(f"products/9/orphan{n}.png", ContentFile(b"x")) for n in (1, 2)]
    age_every_file()
    real = type(default_storage._wrapped).get_modified_time

    def other_run_first(self, name):
        if name == orphans[0]:
            os.remove(self.path(name))  # the other run deleted it just now
        return real(self, name)

    monkeypatch.setattr(type(default_storage._wrapped), "get_modified_time", other_run_first)

    assert delete_orphan_pictures() == 1
    assert not any(default_storage.exists(name) for name in orphans)
