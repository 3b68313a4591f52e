"""The staff groups: what the people who run the shop day to day may do in admin.

"Shop staff": everything for the catalog, orders, delivery methods, guestbook, customer
messages, the service pages' texts and the outbox; customers' addresses and accounts to look
at. Not: changing users or their rights, groups, permissions. Give staff this group (and "staff
status") instead of superuser. For staff who do one job, a narrower group each (ROLES): "Order
handling" (packing and shipping), "Customer service" (messages, e-mails, orders' addresses and
notes), "Catalog" (products, stock, prices).

Kept after every ``migrate`` (Django creates permissions after the migrations run): missing
permissions are added, none is taken away, so a shop's own additions stay.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import PermissionDenied
from django.http import Http404

GROUP_NAME = "Shop staff"
ALL = ("add", "change", "delete", "view")
GRANTS: dict[str, dict[str, tuple[str, ...]]] = {
    "catalog": dict.fromkeys(("series", "category", "product", "variant", "productimage"), ALL),
    "orders": {"order": ("view", "change"), "orderline": ("view",), "orderevent": ("view",)},
    "cart": {"shippingmethod": ("add", "change", "view"), "cart": ("view",), "cartline": ("view",)},
    "guestbook": {"entry": ("view", "change", "delete")},
    "service": {"contactmessage": ("view", "change"), "servicetext": ALL},
    "core": {"outboxmessage": ("view", "change")},
    "search": {"searchcount": ("view",)},
    "accounts": {"address": ("view", "change"), "user": ("view",)},
}


ORDERS_TO_RUN = {"order": ("view", "change"), "orderline": ("view",), "orderevent": ("view",)}
STOCK_TO_LOOK_AT = {"product": ("view",), "variant": ("view",)}

#: Every staff group and its grants: "Shop staff", and one group per job (least privilege:
#: a packer changes no prices and reads nobody's e-mails, a catalog editor sees no customers).
ROLES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    GROUP_NAME: GRANTS,
    "Order handling": {
        "orders": ORDERS_TO_RUN,
        "catalog": STOCK_TO_LOOK_AT,
        "cart": {"shippingmethod": ("view",)},
    },
    "Customer service": {
        "orders": ORDERS_TO_RUN,  # an address to correct, a note, a cancellation asked for
        "catalog": STOCK_TO_LOOK_AT,
        "guestbook": {"entry": ("view", "change")},
        "service": {"contactmessage": ("view", "change")},
        "core": {"outboxmessage": ("view", "change")},
        "accounts": {"address": ("view", "change"), "user": ("view",)},
    },
    "Catalog": {
        "catalog": GRANTS["catalog"],
        "search": {"searchcount": ("view",)},
    },
}


def ensure_staff_group(*, using: str = "default", name: str = GROUP_NAME) -> Group:
    """Create the group ``name`` of ROLES if missing and add any of its permissions it lacks."""
    grants = ROLES[name]
    group, _ = Group.objects.using(using).get_or_create(name=name)
    wanted = {
        (app, f"{action}_{model}")
        for app, models in grants.items()
        for model, actions in models.items()
        for action in actions
    }
    permissions = [
        p
        for p in Permission.objects.using(using)
        .filter(content_type__app_label__in=grants)
        .select_related("content_type")
        if (p.content_type.app_label, p.codename) in wanted
    ]
    group.permissions.add(*permissions)
    return group


def ensure_staff_groups(*, using: str = "default") -> list[Group]:
    """Every group of ROLES, as ensure_staff_group."""
    return [ensure_staff_group(using=using, name=name) for name in ROLES]


def list_staff_todo(user) -> list[dict]:
    """The admin home page's "To do": what waits for staff, with a link to the list of it.

    Only what ``user`` may see; each line one indexed count (orders: one query for three)."""
    from django.urls import reverse

    from catalog.models import Product
    from core.models import OutboxMessage
    from guestbook.models import Entry
    from orders.selectors import count_work
    from service.models import ContactMessage

    def url(name: str, query: str) -> str:
        return f"{reverse(name)}?{query}"

    def may_open(model: str) -> bool:  # the admin opens a list with either permission
        app, name = model.split(".")
        return user.has_perm(f"{app}.view_{name}") or user.has_perm(f"{app}.change_{name}")

    todo = []
    if may_open("orders.order"):
        work = count_work()
        orders = "admin:orders_order_changelist"
        todo += [
            (
                "Bank transfers to look for (orders waiting for payment)",
                work["payment"],
                url(orders, "todo=payment"),
            ),
            ("Orders ready to pack", work["pack"], url(orders, "todo=pack")),
            ("Packed orders to hand to the carrier", work["ship"], url(orders, "todo=ship")),
            ("Cancelled after payment: refund due", work["refund"], url(orders, "todo=refund")),
        ]
    if may_open("service.contactmessage"):
        count = ContactMessage.objects.filter(handled=False).count()
        link = url("admin:service_contactmessage_changelist", "handled__exact=0")
        todo.append(("Customer messages not answered", count, link))
    if may_open("guestbook.entry"):
        count = Entry.objects.filter(status=Entry.Status.PENDING).count()
        link = url("admin:guestbook_entry_changelist", "status__exact=pending")
        todo.append(("Guestbook messages waiting for review", count, link))
    if may_open("catalog.product"):
        count = Product.objects.filter(is_active=True, stock_total=0).count()
        link = url("admin:catalog_product_changelist", "is_active__exact=1&stock=sold_out")
        todo.append(("Products for sale that are sold out", count, link))
    if may_open("core.outboxmessage"):
        count = OutboxMessage.objects.filter(sent_at__isnull=True, attempts__gt=0).count()
        link = url("admin:core_outboxmessage_changelist", "delivery=failing")
        todo.append(("E-mails that failed to go out", count, link))
    return [{"label": label, "count": count, "url": link} for label, count, link in todo]


def view_on_site(request, content_type_id: str, object_id: str):
    """Django's "View on site" (admin:view_on_site, which redirects to the object's page in
    the shop) for staff who may see that kind of object in admin; 403 for others. Django's
    own sends any staff member on, and an order's page address holds its number: every
    order's number, and how many orders the shop has, by counting up the ids.

    Raises PermissionDenied, or Http404 for no such type or object."""
    if not (content_type_id.isascii() and content_type_id.isdigit() and len(content_type_id) < 10):
        raise Http404("No such kind of object")
    try:
        model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
    except ContentType.DoesNotExist:
        raise Http404("No such kind of object") from None
    if model is None or not admin.site.is_registered(model):
        raise PermissionDenied
    if not admin.site.get_model_admin(model).has_view_or_change_permission(request):
        raise PermissionDenied
    return shortcut(request, content_type_id, object_id)


def list_demo_settings() -> list[str]:
    """The settings a real shop must set that still have the demo's value (shown to customers:
    its name, bank account, legal notice)."""
    return [
        name
        for name, demo in settings.SHOP_DEMO_VALUES.items()
        if getattr(settings, name, None) == demo
    ]


def list_setup_warnings(user) -> list[dict]:
    """What stops the shop from selling as the merchant's own, for the admin's home page: no
    delivery method (nobody can check out), settings still the demo's (owner only: they are
    changed in the settings file, not in admin). Each a ``text`` and a ``url`` (or "")."""
    from django.urls import reverse

    from cart.models import ShippingMethod

    warnings = []
    if not ShippingMethod.objects.filter(is_active=True).exists():
        may_add = user.has_perm("cart.add_shippingmethod")
        warnings.append(
            {
                "text": "No active delivery method: shoppers can fill a cart but cannot check "
                "out. Add one (name, fee, delivery days).",
                "url": reverse("admin:cart_shippingmethod_add") if may_add else "",
            }
        )
    demo = list_demo_settings() if user.is_superuser else []
    if demo:
        warnings.append(
            {
                "text": "Still the demo's values, shown to customers: "
                + ", ".join(demo)
                + ". Set them in the settings file (README, “Configuration”) and restart.",
                "url": "",
            }
        )
    return warnings
