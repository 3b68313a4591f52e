import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.models import OutboxMessage
from guestbook.admin import EntryAdmin
from guestbook.models import Entry
from guestbook.services import (
    delete_unpublished_entries,
    forget_unanswered_emails,
    reply_to_entry,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("guestbook:index")


def post(client, **data):
    return client.post(
        URL, {"name": "Ada", "email": "ada@example.com", "message": "Lovely mugs!", **data}
    )


def test_a_message_waits_for_review_and_staff_are_told(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client)
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.status == Entry.Status.PENDING
    page = client.get(URL).content.decode()
    assert "appear after a quick review" in page
    assert "Lovely mugs!" not in page
    assert mail.outbox[0].subject == "New guestbook message from Ada"


def test_without_review_the_staff_notice_says_the_message_is_already_public(
    client, settings, django_capture_on_commit_callbacks
):
    """With GUESTBOOK_PREMODERATE off staff were told "waiting for review" of a message every
    visitor could already read."""
    settings.GUESTBOOK_PREMODERATE = False
    with django_capture_on_commit_callbacks(execute=True):
        post(client)
    (sent,) = mail.outbox
    html = sent.alternatives[0][0]
    for text in (sent.body, html):
        assert "waiting for review" not in text
        assert "is on the guestbook now" in text
    assert "Hide or answer it in admin" in sent.body
    assert "Publish" not in sent.body + html


def test_with_no_staff_addresses_no_notice_is_queued(
    client, settings, django_capture_on_commit_callbacks
):
    """SHOP_STAFF_EMAILS set empty (nobody gets staff notices, as for new orders): a notice
    addressed to nobody sat in the outbox, listed to staff as sent."""
    settings.SHOP_STAFF_EMAILS = []
    with django_capture_on_commit_callbacks(execute=True):
        post(client)
    assert Entry.objects.count() == 1
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


def test_the_staff_notice_links_to_admin_with_the_shops_address(
    client, settings, django_capture_on_commit_callbacks
):
    """A mail client knows no current site: a bare /admin/... path cannot be clicked."""
    settings.ALLOWED_HOSTS = ["shop.example"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"name": "Ada", "message": "Hello"}, HTTP_HOST="shop.example", secure=True)
    link = "https://shop.example" + reverse(
        "admin:guestbook_entry_change", args=[Entry.objects.get().pk]
    )
    sent = mail.outbox[0]
    assert f"in admin: {link}\n" in sent.body
    assert f'<a href="{link}">' in sent.alternatives[0][0]


def test_published_messages_show_with_the_staff_reply_and_the_author_is_told(
    client, django_capture_on_commit_callbacks
):
    entry = Entry.objects.create(name="Ada", email="ada@example.com", message="Where is X?")
    staff = UserFactory(is_staff=True, is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        reply_to_entry(entry=entry, reply="In stock next week.", staff_user=staff)
        reply_to_entry(entry=entry, reply="In stock next week!", staff_user=staff)
    body = client.get(URL).content.decode()
    assert "Where is X?" in body
    assert "Reply from" in body
    assert "In stock next week!" in body
    assert "ada@example.com" not in body  # e-mail addresses are never shown
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]  # told once


def test_admin_moderates_and_replies(client, django_capture_on_commit_callbacks):
    first = Entry.objects.create(name="A", message="first")
    second = Entry.objects.create(name="B", message="second", email="b@example.com")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    changelist = reverse("admin:guestbook_entry_changelist")
    client.post(changelist, {"action": "publish", "_selected_action": [first.pk, second.pk]})
    assert set(Entry.objects.values_list("status", flat=True)) == {"published"}
    client.post(changelist, {"action": "hide", "_selected_action": [first.pk]})
    first.refresh_from_db()
    assert first.status == Entry.Status.HIDDEN
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:guestbook_entry_change", args=[second.pk]),
            {"status": "published", "reply": "Thanks, B!"},
        )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.reply == "Thanks, B!"
    assert second.replied_by is not None
    assert OutboxMessage.objects.filter(kind="guestbook_reply", to=["b@example.com"]).exists()
    assert second.email == ""  # told: the address is forgotten
    public = client.get(URL).content.decode()
    assert "first" not in public
    assert "Thanks, B!" in public


def change_in_admin(client, entry, **data):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client.post(
        reverse("admin:guestbook_entry_change", args=[entry.pk]),
        {"status": entry.status, "reply": entry.reply, **data},
    )


@pytest.mark.parametrize(
    ("status", "reply", "data"),
    [
        ("pending", "", {"status": "hidden", "reply": "We wrote to you directly."}),
        ("published", "", {"status": "hidden", "reply": "We wrote to you directly."}),
        ("hidden", "Old answer.", {"reply": "We wrote to you directly."}),
        ("hidden", "", {"reply": "We wrote to you directly."}),
    ],
)
def test_a_reply_never_publishes_an_entry_staff_hide(
    client, django_capture_on_commit_callbacks, status, reply, data
):
    entry = Entry.objects.create(
        name="Ada",
        email="ada@example.com",
        message="My phone is 0170 123",
        status=status,
        reply=reply,
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = change_in_admin(client, entry, **data)
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == Entry.Status.HIDDEN
    assert entry.reply == "We wrote to you directly."
    assert entry.replied_by is not None
    client.logout()
    public = client.get(URL).content.decode()
    assert "0170 123" not in public
    assert "We wrote to you directly." not in public


def test_a_reply_publishes_an_entry_waiting_for_review_unless_staff_chose_otherwise(client):
    """Answering in public approves a pending entry; a status staff set on the form wins."""
    waiting = Entry.objects.create(name="A", message="Do you ship to Norway?")
    change_in_admin(client, waiting, reply="Yes, we do.")
    waiting.refresh_from_db()
    assert waiting.status == Entry.Status.PUBLISHED
    kept = Entry.objects.create(name="B", message="Still thinking", status="published")
    change_in_admin(client, kept, status="pending", reply="Take your time.")
    kept.refresh_from_db()
    assert kept.status == Entry.Status.PENDING
    client.logout()
    public = client.get(URL).content.decode()
    assert "Yes, we do." in public
    assert "Take your time." not in public


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": "", "message": ""}, "This field is required."),
        ({"name": "   "}, "This field is required."),
        ({"message": "x" * 2001}, "at most 2000 characters"),
        ({"email": "not-an-email"}, "Enter a valid e-mail address."),
        ({"message": "\x00nul"}, "Null characters are not allowed."),
    ],
)
def test_bad_input_keeps_what_was_typed(client, data, error):
    response = post(client, **data)
    assert response.status_code == 200
    body = response.content.decode()
    assert error in body
    assert not Entry.objects.exists()
    if data.get("email") == "not-an-email":
        assert 'value="not-an-email"' in body


def test_hostile_text_is_escaped(client):
    Entry.objects.create(
        name="<script>alert(1)</script>",
        message='"><img src=x onerror=alert(1)>',
        status=Entry.Status.PUBLISHED,
    )
    body = client.get(URL).content.decode()
    assert "<script>alert(1)" not in body
    assert "<img src=x" not in body
    assert "&lt;script&gt;" in body


def test_bots_filling_the_hidden_field_are_silently_dropped(client):
    response = post(client, website="http://spam.example")
    assert response.status_code == 302
    assert not Entry.objects.exists()


def test_posting_is_rate_limited_and_the_text_is_kept(client, settings):
    settings.GUESTBOOK_RATE = 2
    post(client)
    post(client)
    response = post(client, message="My third message")
    assert response.status_code == 429
    body = response.content.decode()
    assert "Please wait a few minutes" in body
    assert "My third message" in body
    assert Entry.objects.count() == 2


def test_posts_with_mistakes_do_not_count_toward_the_limit(client, settings):
    """Someone who mistyped a few times can still send the corrected message."""
    settings.GUESTBOOK_RATE = 2
    for _ in range(5):
        assert post(client, email="ada@example").status_code == 200
    assert post(client).status_code == 302
    assert post(client, message="Second one").status_code == 302
    assert Entry.objects.count() == 2
    # at the limit, even a post with a mistake is told to wait (with its text kept)
    response = post(client, email="ada@example", message="Third one")
    assert response.status_code == 429
    assert "Please wait a few minutes" in response.content.decode()
    assert "Third one" in response.content.decode()


def test_a_flood_of_invalid_posts_is_refused_and_the_text_kept(client, settings):
    settings.GUESTBOOK_RATE = 2  # invalid posts allowed: 10 times as many
    for _ in range(20):
        assert post(client, message="").status_code == 200
    response = post(client, message="Now a real message")
    assert response.status_code == 429
    body = response.content.decode()
    assert "Please wait a few minutes" in body
    assert "Now a real message" in body
    assert not Entry.objects.exists()
    # another client is not affected
    assert (
        client.post(URL, {"name": "Bo", "message": "Hi!"}, REMOTE_ADDR="203.0.113.9").status_code
        == 302
    )


@pytest.mark.parametrize("n", [3, 30])
def test_query_budget_does_not_grow(client, django_assert_max_num_queries, n):
    Entry.objects.bulk_create(
        [Entry(name=f"N{i}", message="m", status=Entry.Status.PUBLISHED) for i in range(n)]
    )
    with django_assert_max_num_queries(4):
        assert client.get(URL).status_code == 200


def test_a_members_address_is_filled_in_and_a_visitors_is_not(client):
    member = UserFactory(email="mia@example.com")
    assert 'value="mia@example.com"' not in client.get(URL).content.decode()
    client.force_login(member)
    assert 'name="email" value="mia@example.com"' in client.get(URL).content.decode()


def test_the_reply_mail_links_the_guestbook_only_where_the_answer_is_public(
    django_capture_on_commit_callbacks,
):
    staff = UserFactory(is_staff=True, is_superuser=True)
    shown = Entry.objects.create(name="Ada", email="ada@example.com", message="Hello")
    hidden = Entry.objects.create(name="Bo", email="bo@example.com", message="My order MP-1")
    with django_capture_on_commit_callbacks(execute=True):
        reply_to_entry(
            entry=shown, reply="Thanks!", staff_user=staff, site_url="https://s.example/"
        )
        reply_to_entry(
            entry=hidden,
            reply="We wrote to you.",
            staff_user=staff,
            status=Entry.Status.HIDDEN,
            site_url="https://s.example/",
        )
    sent = {m.to[0]: m for m in mail.outbox}
    assert "It is on our guestbook: https://s.example/guestbook/" in sent["ada@example.com"].body
    assert 'href="https://s.example/guestbook/"' in sent["ada@example.com"].alternatives[0][0]
    assert "guestbook/" not in sent["bo@example.com"].body


def test_mistakes_are_listed_on_top_of_the_form_each_linking_to_its_field(client):
    body = post(client, email="not-an-email", message="x").content.decode()
    start = body.index('id="form-errors"')
    summary = body[start : body.index("</div>", start)]
    assert "Please correct the 2 fields marked below." in summary
    assert '<a href="#id_email">E-mail (optional, never shown)</a>' in summary
    assert '<a href="#id_message">Your message</a>' in summary
    assert body.index('id="form-errors"') < body.index('name="name"')  # above the form


def test_a_right_to_left_name_and_message_keep_their_punctuation(client):
    Entry.objects.create(
        name="محمد (Mohammed)", message="متجر رائع!", status=Entry.Status.PUBLISHED
    )
    body = client.get(URL).content.decode()
    assert "<strong><bdi>محمد (Mohammed)</bdi></strong> ·" in body
    assert '<div class="entry-text" dir="auto"><p>متجر رائع!</p></div>' in body


def test_a_message_of_emoji_is_shortened_in_admin_without_cutting_one_apart():
    family = "👨‍👩‍👧‍👦"  # seven code points, one emoji
    entry = Entry(name="Ada", message=family * 30)
    assert str(entry) == f"Ada: {family * 5}…"
    assert EntryAdmin.short_message(None, entry) == family * 11 + "…"


def test_the_authors_address_is_forgotten_once_they_are_told_of_the_reply(
    django_capture_on_commit_callbacks,
):
    """The address is asked for only to tell the author about a reply (the form and the
    privacy page say so); it stayed on the entry for ever after that. An entry not answered
    yet keeps it, and the mail still reaches the author."""
    answered = Entry.objects.create(name="Ada", email="ada@example.com", message="Where is X?")
    waiting = Entry.objects.create(name="Bo", email="bo@example.com", message="Hello")
    staff = UserFactory(is_staff=True, is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        reply_to_entry(entry=answered, reply="In stock next week.", staff_user=staff)

    answered.refresh_from_db()
    assert answered.email == ""
    assert answered.reply == "In stock next week."
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert "In stock next week." in mail.outbox[0].body
    waiting.refresh_from_db()
    assert waiting.email == "bo@example.com"


def test_the_privacy_page_says_the_address_goes_after_the_reply(client, settings):
    settings.SHOP_GUESTBOOK_EMAIL_DAYS = 90
    body = client.get(reverse("service:privacy")).content.decode()
    assert "used only to tell you that we replied, and deleted once we have" in body
    assert "or after 90 days if we have not" in body


def test_an_address_nobody_replied_to_is_forgotten_after_the_set_days(settings):
    """An entry staff never answered kept its author's address for ever."""
    settings.SHOP_GUESTBOOK_EMAIL_DAYS = 30
    now = timezone.now()
    old = Entry.objects.create(name="Ada", email="ada@example.com", message="Hello")
    recent = Entry.objects.create(name="Bo", email="bo@example.com", message="Hi")
    replied_old = Entry.objects.create(name="Cy", email="cy@example.com", message="Hey", reply="Hi")
    Entry.objects.filter(pk__in=[old.pk, replied_old.pk]).update(
        created_at=now - datetime.timedelta(days=31)
    )
    Entry.objects.filter(pk=recent.pk).update(created_at=now - datetime.timedelta(days=29))

    assert forget_unanswered_emails(batch_size=1) == 1
    assert forget_unanswered_emails() == 0  # a second run finds nothing

    emails = dict(Entry.objects.values_list("name", "email"))
    # (a replied entry's address went with the reply; one left there is not this job's)
    assert emails == {"Ada": "", "Bo": "bo@example.com", "Cy": "cy@example.com"}
    old.refresh_from_db()
    assert (old.message, old.name) == ("Hello", "Ada")  # the entry itself stays


def test_a_reply_saved_from_a_page_opened_before_the_first_reply_does_not_bring_back_the_email():
    """Two staff answer the same entry (or one corrects a reply from a page opened before the
    first went out): the second save wrote the address it had read back into the entry."""
    staff = UserFactory(is_staff=True)
    entry = Entry.objects.create(name="Ada", email="ada@example.com", message="Where is X?")
    opened_before = Entry.objects.get(pk=entry.pk)  # the second page, still with the address

    reply_to_entry(entry=entry, reply="On its way.", staff_user=staff)
    reply_to_entry(entry=opened_before, reply="On its way, tracking sent.", staff_user=staff)

    entry.refresh_from_db()
    assert entry.reply == "On its way, tracking sent."
    assert entry.email == ""


def test_entries_replied_to_before_the_address_was_forgotten_lose_it_on_upgrade():
    """The privacy page says the address is deleted once the author was told of the reply:
    entries answered before that rule came keep it until guestbook's migration 0002."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("guestbook.migrations.0002_forget_replied_authors_email")
    replied = Entry.objects.create(name="A", email="a@example.com", message="Hi", reply="Hello!")
    waiting = Entry.objects.create(name="B", email="b@example.com", message="Norway?")

    migration.forget_emails(apps, None)

    replied.refresh_from_db()
    waiting.refresh_from_db()
    assert replied.email == ""
    assert waiting.email == "b@example.com"  # not told yet: still needed


def test_entries_never_published_are_deleted_after_the_set_days(settings):
    """Spam hidden by staff, and messages nobody reviewed, were kept for ever (each holds a
    name, maybe an e-mail address, and whatever was written)."""
    settings.SHOP_GUESTBOOK_UNPUBLISHED_DAYS = 30
    now = timezone.now()
    old = {
        status: Entry.objects.create(name=status, message="Hello", status=status)
        for status in Entry.Status.values
    }
    recent_hidden = Entry.objects.create(name="recent", message="Buy", status="hidden")
    Entry.objects.filter(pk__in=[e.pk for e in old.values()]).update(
        created_at=now - datetime.timedelta(days=31)
    )
    Entry.objects.filter(pk=recent_hidden.pk).update(created_at=now - datetime.timedelta(days=29))

    assert delete_unpublished_entries() == 2
    assert delete_unpublished_entries() == 0  # a second run finds nothing
    assert sorted(Entry.objects.values_list("name", flat=True)) == ["published", "recent"]

    settings.SHOP_GUESTBOOK_UNPUBLISHED_DAYS = 0  # keeps them
    assert delete_unpublished_entries(now=now + datetime.timedelta(days=400)) == 0


def test_the_privacy_page_says_unpublished_messages_are_deleted(client, settings):
    settings.SHOP_GUESTBOOK_UNPUBLISHED_DAYS = 60
    body = client.get(reverse("service:privacy")).content.decode()
    assert "A message we do not publish is deleted 60 days after it arrives." in body
