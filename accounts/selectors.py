"""Reads of a member's address book and account."""

from allauth.account.models import EmailAddress
from django.db.models import QuerySet

from .models import Address, User


def list_member_addresses(*, user: User) -> QuerySet[Address]:
    """The member's saved addresses: the default first, then the most recent."""
    return Address.objects.filter(user=user).order_by("-is_default", "-created_at", "-pk")


def member_has_addresses(*, user: User) -> bool:
    return Address.objects.filter(user=user).exists()


def get_member_data(*, user: User) -> dict:
    """What the shop keeps in the member's account, for their own download ("take it with you"):
    the account, its e-mail addresses and its saved addresses. Never the password hash."""
    return {
        "account": {
            "email": user.email,
            "joined": user.date_joined,
            "last_sign_in": user.last_login,
        },
        "email_addresses": [
            {"email": e.email, "verified": e.verified, "primary": e.primary}
            for e in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
        "addresses": [
            {
                "full_name": a.full_name,
                "address": a.line1,
                "address_line_2": a.line2,
                "postcode": a.postcode,
                "city": a.city,
                "country": a.country,
                "phone": a.phone,
                "default": a.is_default,
                "saved": a.created_at,
            }
            for a in list_member_addresses(user=user)
        ],
    }


def list_verified_emails(*, user: User) -> list[str]:
    """The member's addresses that they proved are theirs (what they wrote from may be matched
    by these; an address merely added to the account proves nothing)."""
    emails = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    return sorted({e.lower() for e in emails})
