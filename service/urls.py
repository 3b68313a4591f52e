from django.urls import path

from .views import PAGES, ServicePageView, contact

app_name = "service"

urlpatterns = [
    path("", ServicePageView.as_view(page="index"), name="index"),
    path("contact/", contact, name="contact"),
] + [path(f"{slug}/", ServicePageView.as_view(page=slug), name=slug) for slug, _, _ in PAGES]
