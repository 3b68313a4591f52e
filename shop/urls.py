from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from accounts.forms import StaffLoginForm
from core.adminlists import delete_selected
from core.decorators import rate_limited

from . import sitemaps, views
from .staff import list_setup_warnings, list_staff_todo, view_on_site

admin.site.site_header = f"{settings.SHOP_NAME} staff"
admin.site.site_title = f"{settings.SHOP_NAME} staff"
admin.site.index_title = "Run the shop"
# The sidebar takes 300 px of every list page: order and product lists lost their totals and
# stock columns off-screen at 1280 px. The breadcrumbs and the home page lead everywhere.
admin.site.enable_nav_sidebar = False
# The admin home page starts with what keeps the shop from selling and what waits for staff
# (shop/staff.py list_setup_warnings, list_staff_todo).
_admin_index = admin.site.index


def _admin_index_with_todo(request, extra_context=None):
    context = {
        **(extra_context or {}),
        "todo": list_staff_todo(request.user),
        "setup_warnings": list_setup_warnings(request.user),
    }
    return _admin_index(request, extra_context=context)


admin.site.index = _admin_index_with_todo
# "Delete selected" on every list, for at most a thousand rows at a time (core.adminlists).
admin.site.add_action(delete_selected)
# Staff sign-in: at most 10 attempts per client address per 5 minutes, and failed ones count
# toward the account's limit shared with the shop's sign-in (5 per 5 minutes).
admin.site.login_form = StaffLoginForm
admin.site.login = rate_limited(scope="admin-login", limit=10, window=300, count_sign_ins=False)(
    admin.site.login
)

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("", include("catalog.urls")),
    path("search/", include("search.urls")),
    path("cart/", include("cart.urls")),
    path("", include("orders.urls")),
    path("guestbook/", include("guestbook.urls")),
    path("service/", include("service.urls")),
    # the address book first: allauth's patterns under accounts/ stay as they are
    path("accounts/data/download/", views.your_data_download, name="your_data_download"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    # before the admin's own "view on site", which any staff member may follow (shop/staff.py)
    path(
        "admin/r/<path:content_type_id>/<path:object_id>/",
        admin.site.admin_view(view_on_site),
        name="admin_view_on_site",
    ),
    path("admin/", admin.site.urls),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("healthz", views.healthz, name="healthz"),
    # An index of one sitemap per section, the products' in pages of ProductSitemap.limit:
    # one combined sitemap showed only its first page (10,000 products) and its ?p=2 was a 404.
    path("sitemap.xml", sitemaps.sitemap_index, name="sitemap"),
    path("sitemap-<section>.xml", sitemaps.sitemap_section, name="sitemap_section"),
]

if settings.DEBUG:
    urlpatterns += [
        path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}),
    ]

handler500 = "shop.views.server_error"
