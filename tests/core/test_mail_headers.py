"""The shop's e-mails as mail programs and spam filters read their headers."""

import email
from email import policy

import pytest
from django.core import mail
from django.urls import reverse

from core.outbox import queue_message, send_outbox_message

pytestmark = pytest.mark.django_db


def received(message) -> email.message.EmailMessage:
    """The message as the receiving mail program parses it."""
    return email.message_from_bytes(message.message().as_bytes(), policy=policy.default)


def send_one(**fields):
    queued = queue_message(
        **{"to": ["ann@example.com"], "subject": "Hi", "body_text": "Thanks"} | fields
    )
    send_outbox_message(message_id=queued.pk)
    return mail.outbox[-1]


def test_every_message_says_it_was_sent_automatically():
    """RFC 3834: an out-of-office reply or an auto-responder must not answer the shop's mail
    (and Exchange's, which reads its own header)."""
    headers = received(send_one())
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["X-Auto-Response-Suppress"] == "OOF, AutoReply"


def test_a_reply_to_the_shops_mail_reaches_the_shop_administrator(settings):
    """The sender may be an address nobody reads (the mail provider's, a no-reply one): the
    customer who answers "Your order ..." writes to the administrator, as the mail says."""
    settings.DEFAULT_FROM_EMAIL = "Meadow & Pine <no-reply@mail.meadowpine.example>"
    headers = received(send_one())
    assert headers["Reply-To"] == settings.SHOP_ADMIN_EMAIL
    assert headers["From"].addresses[0].addr_spec == "no-reply@mail.meadowpine.example"


def test_a_message_with_its_own_reply_to_keeps_it():
    """The contact form's message to the administrator answers the shopper."""
    headers = received(send_one(to=["admin@meadowpine.example"], reply_to=["ada@example.com"]))
    assert headers["Reply-To"] == "ada@example.com"


def test_a_subject_never_carries_a_control_character_from_what_a_shopper_typed(
    client, django_capture_on_commit_callbacks
):
    """The contact form's and the guestbook's subjects name the sender: an escape sequence or a
    bell typed into the name reached the Subject header raw (a line break was already folded)."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("service:contact"),
            {
                "name": "Ada\x1b[31m Evil\x07\x7f\u0085\u2028Co",
                "email": "ada@example.com",
                "topic": "other",
                "message": "Hello",
            },
        )
    (sent,) = mail.outbox
    assert sent.subject == "Customer message: Something else, from Ada[31m Evil Co"
    raw = sent.message().as_bytes()
    header = raw.split(b"\n\n", 1)[0]
    assert not any(byte < 32 and byte not in b"\t\n" or byte == 127 for byte in header)


def test_a_long_non_ascii_subject_and_a_long_line_arrive_whole(
    client, django_capture_on_commit_callbacks
):
    """A name in three scripts makes the subject longer than a header line: it is encoded
    (RFC 2047) and folded, and decodes to what was typed; a 3,000-character line of text is
    sent quoted-printable, as no line on the wire may pass 998 characters (RFC 5322)."""
    name = "Zoë Ørsted-Ünterwäldner 山田太郎 محمد " * 2  # 68 of the 80 characters a name has
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("service:contact"),
            {"name": name, "email": "zoe@example.com", "topic": "other", "message": "ü" * 3000},
        )
    assert response.status_code == 302
    (sent,) = mail.outbox
    raw = sent.message().as_bytes()
    assert max(len(line) for line in raw.split(b"\n")) <= 998
    headers = received(sent)
    expected = f"Customer message: Something else, from {' '.join(name.split())}"
    assert headers["Subject"].strip() == expected
    assert "ü" * 3000 in headers.get_body(("plain",)).get_content()


def test_the_message_id_of_a_shop_on_an_international_domain_is_plain_ascii(settings):
    """A sender at bücher.example made the Message-ID an encoded word (=?utf-8?q?...?=), which
    is no Message-ID: servers replace it, and a copy sent again is no longer the same message."""
    settings.DEFAULT_FROM_EMAIL = "Bücher & Co <info@bücher.example>"
    headers = received(send_one())
    message_id = headers["Message-ID"]
    assert message_id.startswith("<outbox.")
    assert message_id.endswith("@xn--bcher-kva.example>")
    assert message_id.isascii()


def test_a_name_cannot_turn_the_rest_of_a_subject_round(client, django_capture_on_commit_callbacks):
    """A right-to-left override typed into the name reversed whatever followed it in the
    subject staff read (and an isolate left open ran to its end); right-to-left names show as
    they are without them."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("service:contact"),
            {
                "name": "\u202eAda\u2067 \u05e9\u05e8\u05d4",
                "email": "ada@example.com",
                "topic": "other",
                "message": "Hello",
            },
        )
    (sent,) = mail.outbox
    assert sent.subject == "Customer message: Something else, from Ada \u05e9\u05e8\u05d4"
