"""Reads of a member's address book."""

from django.db.models import QuerySet

from .models import Address, User


def list_member_addresses(*, user: User) -> QuerySet[Address]:
    """The member's saved addresses: the default first, then the most recent."""
    return Address.objects.filter(user=user).order_by("-is_default", "-created_at", "-pk")


def member_has_addresses(*, user: User) -> bool:
    return Address.objects.filter(user=user).exists()
