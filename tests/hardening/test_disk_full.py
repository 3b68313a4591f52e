"""A full disk where the shop writes files: a picture uploaded in the admin, the e-mail files of
the embedded default, anything else. Staff get a clear message and keep what they typed; what
was saved before is not lost; nothing is left half-saved."""

import errno
import sqlite3
from unittest import mock

import psycopg
import pytest
from django import db
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import Client, RequestFactory
from django.urls import reverse

from catalog.models import Product, ProductImage
from catalog.services import delete_orphan_pictures
from core.diskfull import DISK_FULL_MESSAGE
from core.models import OutboxMessage
from core.tasks import send_pending_mail_task
from service.models import ContactMessage
from shop.views import server_error
from tests.catalog.test_orphan_pictures import age_every_file, picture
from tests.conftest import image_bytes
from tests.factories import ProductFactory, UserFactory
from tests.shop.test_admin import new_product_form_with_picture, product_form_with_image

pytestmark = pytest.mark.django_db

NO_SPACE = OSError(errno.ENOSPC, "No space left on device")
REAL_SAVE = FileSystemStorage._save


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(email="boss@shop.example", is_staff=True, is_superuser=True))
    return client


def disk_full_for(prefix: str = ""):
    """The media storage refuses files whose name starts with ``prefix`` (all: "")."""

    def save(self, name, content):
        if name.startswith(prefix):
            raise NO_SPACE
        return REAL_SAVE(self, name, content)

    return mock.patch.object(FileSystemStorage, "_save", save)


def shown(response) -> str:
    return response.content.decode()


def test_a_new_product_with_a_picture_on_a_full_disk_keeps_the_form_and_says_why(staff_client):
    """It was a server error page: the product's name, texts and variants typed were lost."""
    with disk_full_for():
        response = staff_client.post(
            reverse("admin:catalog_product_add"), new_product_form_with_picture()
        )

    assert response.status_code == 200
    body = shown(response)
    assert "The server&#x27;s disk is full" in body
    assert "choose the pictures again" in body
    assert 'value="Camp Mug"' in body  # what was typed is still there
    assert 'value="Enamel mug"' in body
    assert 'value="MUG-1"' in body
    assert 'value="A blue enamel mug"' in body  # the picture's description too
    assert not Product.objects.exists()  # nothing half-saved


def test_thumbnails_failing_on_a_full_disk_save_nothing_and_the_stored_original_is_cleaned_up(
    staff_client,
):
    picture(ProductFactory(), "other.png")  # the shop's other pictures
    product = ProductFactory(description="Old text")
    data = product_form_with_image(
        product, SimpleUploadedFile("tent.png", image_bytes(), "image/png")
    )
    data["description"] = "New text, typed at length"

    with disk_full_for("thumbs/"):  # the original is stored, then its thumbnails fail
        response = staff_client.post(
            reverse("admin:catalog_product_change", args=[product.pk]), data
        )

    assert response.status_code == 200
    assert DISK_FULL_MESSAGE.split(",")[0].replace("'", "&#x27;") in shown(response)
    assert "New text, typed at length" in shown(response)
    product.refresh_from_db()
    assert product.description == "Old text"
    assert not ProductImage.objects.filter(product=product).exists()
    _dirs, stored = default_storage.listdir(f"products/{product.pk}")
    assert len(stored) == 1  # the original, which no picture names now
    age_every_file()
    assert delete_orphan_pictures() == 1
    assert default_storage.listdir(f"products/{product.pk}") == ([], [])

    # with space again the same form saves
    data["images-0-image"] = SimpleUploadedFile("tent.png", image_bytes(), "image/png")
    response = staff_client.post(reverse("admin:catalog_product_change", args=[product.pk]), data)
    assert response.status_code == 302
    assert ProductImage.objects.get(product=product).thumb_zoom


def test_notes_of_the_rolled_back_save_are_not_shown(staff_client, monkeypatch):
    """A note the failed save queued (a variant's stock outcome) described a change that was
    rolled back."""
    from django.contrib import messages

    def note(request, form):
        messages.warning(request, "MUG-1: orders took units while you edited")

    monkeypatch.setattr("catalog.admin.tell_stock_outcome", note)
    with disk_full_for():
        response = staff_client.post(
            reverse("admin:catalog_product_add"), new_product_form_with_picture()
        )

    assert "The server&#x27;s disk is full" in shown(response)
    assert "orders took units" not in shown(response)
    assert "orders took units" not in shown(staff_client.get(reverse("admin:index")))


def test_a_large_upload_refused_while_the_request_is_read_gets_the_full_disk_page(settings):
    """A picture larger than FILE_UPLOAD_MAX_MEMORY_SIZE is written to /tmp as the request is
    read: refused there, the form's data is lost with it, and the page must not say that what
    was typed is still there."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    def refused(self, raw_data, start):
        raise NO_SPACE

    with mock.patch.object(TemporaryFileUploadHandler, "receive_data_chunk", refused):
        response = client.post(
            reverse("admin:catalog_product_add"), new_product_form_with_picture()
        )

    assert response.status_code == 503
    assert "run out of space" in shown(response)
    assert "What you typed is still here" not in shown(response)
    assert not Product.objects.exists()


def test_other_file_errors_are_not_taken_for_a_full_disk(staff_client):
    def refused(self, name, content):
        raise PermissionError(errno.EACCES, "Permission denied")

    with (
        mock.patch.object(FileSystemStorage, "_save", refused),
        pytest.raises(PermissionError),
    ):
        staff_client.post(reverse("admin:catalog_product_add"), new_product_form_with_picture())


def test_the_file_outbox_on_a_full_disk_keeps_the_mail_and_sends_it_once_there_is_space(
    client, settings, tmp_path, django_capture_on_commit_callbacks, caplog
):
    """The embedded default writes each e-mail to a file: on a full disk the shopper's message
    is taken all the same, the e-mail waits (staff see why under Outbox messages) and goes out
    with the sweep once there is space."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")
    with (
        mock.patch(
            "django.core.mail.backends.filebased.EmailBackend.write_message",
            side_effect=NO_SPACE,
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            reverse("service:contact"),
            {
                "name": "Ada Lovelace",
                "email": "ada@example.com",
                "topic": "other",
                "message": "Do you ship to Austria?",
            },
        )
        assert send_pending_mail_task.delay().get() == 0  # the sweep, while the disk is full

    assert response.status_code == 302
    assert ContactMessage.objects.get().message == "Do you ship to Austria?"
    mail = OutboxMessage.objects.get()
    assert mail.sent_at is None
    assert "No space left on device" in mail.last_error
    # an error (mailed to the owner: core.alerts), not "mail server unavailable"
    logged = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "core.outbox"]
    assert len(logged) == 1
    assert logged[0][0] == "ERROR"
    assert logged[0][1].startswith("Disk full: e-mail cannot be written")
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    listing = shown(client.get(reverse("admin:core_outboxmessage_changelist")))
    assert "No space left on device" in listing

    OutboxMessage.objects.update(next_attempt_at=mail.created_at)  # its next attempt is due
    assert send_pending_mail_task.delay().get() == 1
    written = b"".join(f.read_bytes() for f in (tmp_path / "outbox").iterdir())
    assert b"Do you ship to Austria?" in written


def test_a_full_disk_anywhere_else_says_so_instead_of_a_server_error():
    request = RequestFactory().post("/guestbook/")
    try:
        raise NO_SPACE
    except OSError:
        response = server_error(request)

    assert response.status_code == 503
    assert response["Retry-After"] == "600"
    body = shown(response)
    assert "run out of space" in body
    assert "what you sent was not saved" in body


def full_database(vendor: str) -> db.OperationalError:
    """What Django raises when the database's disk is full (the driver's error as its cause)."""
    if vendor == "postgresql":
        cause = psycopg.errors.DiskFull('could not extend file "base/16384/2619": No space left')
    else:
        cause = sqlite3.OperationalError("database or disk is full")
        cause.sqlite_errorcode = sqlite3.SQLITE_FULL
    error = db.OperationalError(str(cause))
    error.__cause__ = cause
    return error


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_a_database_whose_disk_is_full_says_so_too(vendor):
    request = RequestFactory().post("/cart/add/")
    try:
        raise full_database(vendor)
    except db.OperationalError:
        response = server_error(request)

    assert response.status_code == 503
    assert "run out of space" in shown(response)


def test_a_database_that_is_merely_locked_is_not_a_full_disk():
    request = RequestFactory().post("/cart/add/")
    cause = sqlite3.OperationalError("database is locked")
    cause.sqlite_errorcode = sqlite3.SQLITE_BUSY
    try:
        raise db.OperationalError("database is locked") from cause
    except db.OperationalError:
        response = server_error(request)
    assert response.status_code == 500
