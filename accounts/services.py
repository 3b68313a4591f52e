"""Changes to a member's address book (exactly one default address whenever there is any),
closing an account, and deleting sign-ups never confirmed."""

import datetime
import json

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import SET_NULL, Exists, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from core.housekeeping import BATCH, delete_in_batches
from core.models import OutboxMessage
from core.outbox import queue_mail

from .exceptions import AccountClosed, AccountNotClosable
from .models import Address, User


def _lock_address_book(*, user_id: int) -> list[Address]:
    """Lock the member's address book for this transaction and return its rows by pk.

    The member's own row is locked first: with no address saved yet there is no address row to
    lock, and two tabs (or a double-clicked button) adding a first address would both make it
    the default. ``no_key`` leaves orders and carts free to reference the member meanwhile.
    """
    if not list(User.objects.select_for_update(no_key=True).filter(pk=user_id).values_list("pk")):
        raise AccountClosed  # an address for it would fail at commit (its user is gone)
    return list(Address.objects.select_for_update().filter(user_id=user_id).order_by("pk"))


def _make_default(*, address: Address, book: list[Address]) -> None:
    """The one default of the (locked) book; the others are cleared first (the constraint
    allows no moment with two)."""
    others = [a.pk for a in book if a.is_default and a.pk != address.pk]
    if others:
        Address.objects.filter(pk__in=others).update(is_default=False)
    if not address.is_default:
        Address.objects.filter(pk=address.pk).update(is_default=True)
        address.is_default = True


def _find(book: list[Address], address: Address) -> Address:
    for row in book:
        if row.pk == address.pk:
            return row
    # Deleted meanwhile (in another tab): the caller answers as for any unknown address.
    raise Address.DoesNotExist(f"Address {address.pk} is gone")


@transaction.atomic
def create_address(
    *,
    user: User,
    full_name: str,
    line1: str,
    postcode: str,
    city: str,
    country: str,
    line2: str = "",
    phone: str = "",
    make_default: bool = False,
) -> Address:
    """Save a new address for the member.

    It becomes the default when asked to, and always when it is the member's first (or none of
    the others is the default).
    """
    book = _lock_address_book(user_id=user.pk)
    address = Address.objects.create(
        user=user,
        full_name=full_name,
        line1=line1,
        line2=line2,
        postcode=postcode,
        city=city,
        country=country,
        phone=phone,
    )
    if make_default or not any(a.is_default for a in book):
        _make_default(address=address, book=book)
    return address


ADDRESS_FIELDS = ("full_name", "line1", "line2", "postcode", "city", "country")


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


@transaction.atomic
def keep_address(*, user: User, phone: str = "", **fields: str) -> Address:
    """Keep an address (as typed at checkout) in the member's book, once.

    An address already saved that differs only in case or spacing is kept as it is (no copy
    per order) and takes the phone given now, the one the carrier should call next time. The
    book is locked first, so two checkouts at once with the same new address save it once.
    """
    book = _lock_address_book(user_id=user.pk)
    for saved in book:
        if all(_same_text(getattr(saved, f), fields.get(f, "")) for f in ADDRESS_FIELDS):
            if phone and saved.phone != phone:
                saved.phone = phone
                saved.save(update_fields=["phone"])
            return saved
    return create_address(user=user, phone=phone, **fields)


@transaction.atomic
def update_address(
    *,
    address: Address,
    full_name: str,
    line1: str,
    postcode: str,
    city: str,
    country: str,
    line2: str = "",
    phone: str = "",
    make_default: bool = False,
) -> Address:
    """Change a saved address, and make it the default when asked to.

    Raises Address.DoesNotExist if it was deleted meanwhile.
    """
    book = _lock_address_book(user_id=address.user_id)
    locked = _find(book, address)
    values = {
        "full_name": full_name,
        "line1": line1,
        "line2": line2,
        "postcode": postcode,
        "city": city,
        "country": country,
        "phone": phone,
    }
    for name, value in values.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(values))
    if make_default or not any(a.is_default for a in book):
        _make_default(address=locked, book=book)
    return locked


@transaction.atomic
def set_default_address(*, address: Address) -> Address:
    """Make this the member's default address; their other addresses stop being it.

    Raises Address.DoesNotExist if it was deleted meanwhile.
    """
    book = _lock_address_book(user_id=address.user_id)
    locked = _find(book, address)
    _make_default(address=locked, book=book)
    return locked


@transaction.atomic
def delete_address(*, address: Address) -> Address | None:
    """Delete a saved address. If it was the default, the most recent remaining address
    becomes the default; returns that one (or None when no new default was needed).

    Raises Address.DoesNotExist if it was deleted meanwhile.
    """
    book = _lock_address_book(user_id=address.user_id)
    locked = _find(book, address)
    rest = [a for a in book if a.pk != locked.pk]
    locked.delete()
    if not rest or any(a.is_default for a in rest):
        return None
    newest = max(rest, key=lambda a: (a.created_at, a.pk))
    _make_default(address=newest, book=rest)
    return newest


@transaction.atomic
def lock_address_books(*, user_ids) -> None:
    """Lock these members' address books for the rest of the transaction, in one order (by
    member id, each member's row before its addresses, as every service here locks): for a
    change made around the services (admin), before it touches an address row."""
    for user_id in sorted({uid for uid in user_ids if uid is not None}):
        _lock_address_book(user_id=user_id)


@transaction.atomic
def settle_default_address(*, user_id: int, not_this: int | None = None) -> Address | None:
    """After a change made around the services (staff in admin: unticking the default,
    deleting it, moving an address to another member): give a member who has addresses but no
    default one again, the most recent, preferring any but ``not_this`` (the address staff just
    unticked). Returns the address made the default, or None when nothing needed to change."""
    book = _lock_address_book(user_id=user_id)
    if not book or any(a.is_default for a in book):
        return None
    newest = max([a for a in book if a.pk != not_this] or book, key=lambda a: (a.created_at, a.pk))
    _make_default(address=newest, book=book)
    return newest


@transaction.atomic
def close_account(*, user: User) -> bool:
    """Delete the member's account and tell them by e-mail; False if it was already gone.

    Their addresses, carts and e-mail addresses go with it, and every session of theirs ends
    (a session names a user who no longer exists). Orders stay, as tax law requires, with their
    own copy of name, address and e-mail, detached from the account: the order inquiry still
    finds them by number and e-mail. Raises AccountNotClosable for an account that did work
    for the shop (staff now or once: see _acted_for_the_shop).
    """
    # Checkout locks the member's cart, then (its foreign-key check at commit) the member's
    # row: the same order here, or an order placed at this moment deadlocks with the close.
    # (the carts through the reverse relation: accounts imports no app above it)
    list(user.carts.select_for_update().values_list("pk", flat=True))
    # Locked: two posts at once (a double click) close it and send the e-mail once.
    row = User.objects.select_for_update().filter(pk=user.pk).first()
    if row is None:
        return False
    if _acted_for_the_shop(row):
        raise AccountNotClosable
    queue_mail(
        to=[row.email],
        template="accounts/email/account_closed",
        context={"email": row.email},
        kind="account_closed",
    )
    row.delete()  # (accounts/signals.py: unquote_admin_history)
    return True


CLOSED = "closed account"


def unquote_admin_history(*, user: User) -> None:
    """The admin's history of the account, its addresses and e-mail addresses keeps what staff
    did and when, but no longer quotes them (LogEntry.object_repr, and the inline objects named
    in change_message: the e-mail address, name and street). Called as the account is deleted,
    whoever deletes it."""
    objects = {
        User: [user.pk],
        Address: list(user.addresses.values_list("pk", flat=True)),
        EmailAddress: list(EmailAddress.objects.filter(user=user).values_list("pk", flat=True)),
    }
    about = Q(pk__in=[])
    for model, pks in objects.items():
        if pks:
            content_type = ContentType.objects.get_for_model(model)
            about |= Q(content_type=content_type, object_id__in=[str(pk) for pk in pks])
    entries = list(LogEntry.objects.filter(about))
    for entry in entries:
        entry.object_repr = CLOSED
        entry.change_message = _unquote_change_message(entry.change_message)
    LogEntry.objects.bulk_update(entries, ["object_repr", "change_message"])


def _unquote_change_message(message: str) -> str:
    try:
        changes = json.loads(message or "[]")
    except ValueError:
        return ""  # free text (not written by this admin): it may quote anything
    if not isinstance(changes, list):
        return ""
    for change in changes:
        for detail in change.values() if isinstance(change, dict) else []:
            if isinstance(detail, dict) and "object" in detail:
                detail["object"] = CLOSED
    return json.dumps(changes)


def _acted_for_the_shop(user: User) -> bool:
    """Staff now, or once (rights taken away on leaving): the admin's history (LogEntry) and
    the records naming who did something (an order step's actor, a guestbook reply's author:
    relations that keep their row when the user goes) must keep pointing at an account."""
    if user.is_staff or user.is_superuser or user.groups.exists():
        return True
    if LogEntry.objects.filter(user_id=user.pk).exists():
        return True
    # SET_NULL relations other than a customer's own link ("user": orders) record an act;
    # include_hidden: those fields have no reverse accessor (related_name="+")
    for relation in User._meta.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete or not relation.is_relation:
            continue
        if getattr(relation, "on_delete", None) is SET_NULL and relation.field.name != "user":
            model = relation.related_model
            if model._default_manager.filter(**{relation.field.name: user}).exists():
                return True
    return False


def delete_unconfirmed_accounts(*, now: datetime.datetime | None = None) -> int:
    """Sign-ups never confirmed, SHOP_UNCONFIRMED_ACCOUNT_DAYS after signing up: a mistyped address,
    or a bot. Such an account could never sign in (confirmation is mandatory), so it has no
    orders, cart or addresses of its own. Left alone: accounts made or changed in the admin (an
    admin log entry about them: allauth gives an account made there an unconfirmed e-mail
    record at its first sign-in attempt, so that alone does not tell a sign-up), anyone who ever
    signed in, staff, and anyone with an order. An account mailed a confirmation link within
    the period (a sign-in attempt sends a fresh one) has the whole period from that mail (the
    outbox keeps its copy). Nothing is mailed: the address was never confirmed to be theirs.
    """
    cutoff = (now or timezone.now()) - datetime.timedelta(
        days=settings.SHOP_UNCONFIRMED_ACCOUNT_DAYS
    )
    addresses = EmailAddress.objects.filter(user=OuterRef("pk"))
    admin_records = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User),
        object_id=Cast(OuterRef("pk"), output_field=TextField()),
    )
    unconfirmed = User.objects.filter(
        Exists(addresses.filter(verified=False)),
        ~Exists(addresses.filter(verified=True)),
        ~Exists(admin_records),
        date_joined__lt=cutoff,
        last_login__isnull=True,
        is_staff=False,
        is_superuser=False,
        groups=None,
        orders=None,  # Order.user's reverse relation (accounts imports no app above it)
    )
    # Mailed a link within the period: compared here, not in the query. An IN list of every
    # address mailed grew with the sign-ups (a bot's wave of them is what this clean-up is
    # for) past PostgreSQL's 65,535 parameters, and the job failed every night from then on.
    links = OutboxMessage.objects.filter(
        kind__startswith="email_confirmation", created_at__gte=cutoff
    ).values_list("to", flat=True)
    recently_mailed = {address.lower() for to in links.iterator() for address in to}
    # every candidate has an address record (the first condition): their addresses, in one
    # query, give both the candidates and those mailed lately
    candidates, mailed_users = set(), set()
    for user_id, email in (
        EmailAddress.objects.filter(user__in=unconfirmed).values_list("user_id", "email").iterator()
    ):
        candidates.add(user_id)
        if email.lower() in recently_mailed:
            mailed_users.add(user_id)
    ids = sorted(candidates - mailed_users)
    deleted = 0
    for start in range(0, len(ids), BATCH):
        # the conditions again at the moment of deleting: someone may have signed in since
        deleted += delete_in_batches(unconfirmed.filter(pk__in=ids[start : start + BATCH]))
    return deleted
