import pytest

from core.outbox import queue_message
from core.text import grapheme_boundary, shorten

FAMILY = "👨‍👩‍👧‍👦"  # man, woman, girl, boy joined by zero-width joiners: one emoji


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Short", 10, "Short"),
        ("Mugs " + FAMILY * 3, 13, "Mugs " + FAMILY + "…"),  # not "👨‍👩‍…" (a cut family)
        ("Flags 🇩🇪🇫🇷🇮🇹", 10, "Flags 🇩🇪…"),  # not "🇩🇪🇫" (a lone letter F)
        ("Coffee ☕️☕️☕️", 10, "Coffee ☕️…"),  # the selector stays with its cup
        ("Thumbs 👍🏽👍🏽", 10, "Thumbs 👍🏽…"),  # the skin tone stays with its hand
        ("Cafe\u0301 au lait", 5, "Caf…"),  # "é" typed as e + accent: both or neither
        ("A long line of words to cut", 20, "A long line of…"),  # between words
        ("Donaudampfschifffahrtsgesellschaft", 10, "Donaudamp…"),  # one long word
    ],
)
def test_shorten_never_cuts_a_character_apart(text, limit, expected):
    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)) <= limit


def test_grapheme_boundary_steps_back_to_the_start_of_a_joined_emoji():
    text = "ab" + FAMILY + "c"
    assert grapheme_boundary(text, 5) == 2
    assert grapheme_boundary(text, 2 + len(FAMILY)) == 2 + len(FAMILY)
    assert grapheme_boundary(text, 100) == len(text)


def test_an_e_mail_subject_too_long_for_its_column_is_cut_between_characters(db):
    message = queue_message(to=["a@example.com"], subject="x" * 250 + FAMILY, body_text="Hi")
    message.refresh_from_db()
    assert message.subject == "x" * 250 + "…"
