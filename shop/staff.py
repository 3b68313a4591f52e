"""The "Shop staff" group: what the people who run the shop day to day may do in admin.

Everything for the catalog, orders, delivery methods, guestbook, customer messages and the
outbox; customers' addresses and accounts to look at. Not: changing users or their rights,
groups, permissions. Give staff this group (and "staff status") instead of superuser.

Kept after every ``migrate`` (Django creates permissions after the migrations run): missing
permissions are added, none is taken away, so a shop's own additions stay.
"""

from django.contrib.auth.models import Group, Permission

GROUP_NAME = "Shop staff"
ALL = ("add", "change", "delete", "view")
GRANTS: dict[str, dict[str, tuple[str, ...]]] = {
    "catalog": dict.fromkeys(("series", "category", "product", "variant", "productimage"), ALL),
    "orders": {"order": ("view", "change"), "orderline": ("view",), "orderevent": ("view",)},
    "cart": {"shippingmethod": ("add", "change", "view"), "cart": ("view",)},
    "guestbook": {"entry": ("view", "change", "delete")},
    "service": {"contactmessage": ("view", "change")},
    "core": {"outboxmessage": ("view", "change")},
    "search": {"searchcount": ("view",)},
    "accounts": {"address": ("view", "change"), "user": ("view",)},
}


def ensure_staff_group(*, using: str = "default") -> Group:
    """Create the group if missing and add any of its permissions it lacks."""
    group, _ = Group.objects.using(using).get_or_create(name=GROUP_NAME)
    wanted = {
        (app, f"{action}_{model}")
        for app, models in GRANTS.items()
        for model, actions in models.items()
        for action in actions
    }
    permissions = [
        p
        for p in Permission.objects.using(using)
        .filter(content_type__app_label__in=GRANTS)
        .select_related("content_type")
        if (p.content_type.app_label, p.codename) in wanted
    ]
    group.permissions.add(*permissions)
    return group
