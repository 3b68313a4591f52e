from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.generic import TemplateView

from core.forms import delivery_countries_text
from core.ratelimit import form_over_limit
from core.siteurl import shop_url
from orders.payments import list_payment_methods
from orders.selectors import list_delivery_options

from . import services
from .forms import ORDER_NUMBER, ContactForm
from .models import ContactMessage, ServiceText
from .selectors import get_service_text

PAGES = [
    ("guide", "Shopping guide", "How to find, order and pay for what you need."),
    ("commitments", "Our commitments", "What we promise every customer."),
    ("returns", "Returns and exchanges", "Send back or exchange any item within {days}."),
    ("payment", "Payment methods", "Bank transfer or cash on delivery."),
    ("delivery", "Delivery fees and times", "What shipping costs and how long it takes."),
    ("legal", "Legal notice", "Who runs this shop and how to reach us."),
    ("privacy", "Privacy", "What we keep about you, why, and for how long."),
]


def list_pages() -> list[tuple[str, str, str]]:
    """PAGES with their summaries filled in from the settings (the overview lists them, each
    page has its own as meta description)."""
    days = settings.SHOP_RETURN_DAYS
    return [
        (slug, title, summary.format(days=f"{days} day{pluralize(days)}"))
        for slug, title, summary in PAGES
    ]


class ServicePageView(TemplateView):
    page = ""

    def get_template_names(self):
        return [f"service/{self.page}.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pages = list_pages()
        current = next((p for p in pages if p[0] == self.page), None)
        context.update(
            pages=pages,
            current=self.page,
            page_title=current[1] if current else "Customer service",
            meta_description=current[2] if current else "Help with orders, payment and returns.",
            own_text=get_service_text(page=self.page)
            if self.page in ServiceText.Page.values
            else "",
        )
        context.update(self.extra_context_for_page())
        return context

    def extra_context_for_page(self) -> dict:
        if self.page == "delivery":
            return {
                "shipping_methods": list_delivery_options(),
                "delivery_countries": delivery_countries_text(),
            }
        if self.page in ("legal", "privacy"):
            return {
                "legal": {
                    "name": settings.SHOP_LEGAL_NAME,
                    "address": [line for line in settings.SHOP_LEGAL_ADDRESS if line.strip()],
                    "representative": settings.SHOP_LEGAL_REPRESENTATIVE,
                    "register": settings.SHOP_LEGAL_REGISTER,
                    "vat_id": settings.SHOP_VAT_ID,
                    "phone": settings.SHOP_PHONE,
                },
                "unpaid_days": settings.SHOP_UNPAID_ORDER_DAYS,
                "cart_days": settings.SESSION_COOKIE_AGE // (24 * 60 * 60),
                "csrf_days": settings.CSRF_COOKIE_AGE // (24 * 60 * 60),
                "sent_mail_days": settings.SHOP_SENT_MAIL_DAYS,
                "unconfirmed_days": settings.SHOP_UNCONFIRMED_ACCOUNT_DAYS,
                "contact_days": settings.SHOP_CONTACT_MESSAGE_DAYS,
                "guestbook_email_days": settings.SHOP_GUESTBOOK_EMAIL_DAYS,
                "guestbook_unpublished_days": settings.SHOP_GUESTBOOK_UNPUBLISHED_DAYS,
                "order_years": settings.SHOP_ORDER_KEEP_YEARS,
            }
        if self.page == "payment":
            return {
                "payment_methods": list_payment_methods(),
                "unpaid_days": settings.SHOP_UNPAID_ORDER_DAYS,
            }
        return {}


CONTACT_TITLE = "Write to us"


def _contact_initial(request) -> dict:
    """What a link to the form may fill in (?topic=return&order=MP-7KQ4-X2HD, from the returns
    page and a delivered order), and a member's own e-mail address. Anything else is ignored."""
    initial = {}
    topic = request.GET.get("topic", "")
    if topic in ContactMessage.Topic.values:
        initial["topic"] = topic
    number = request.GET.get("order", "").strip().upper()
    if ORDER_NUMBER.fullmatch(number):
        initial["order_number"] = number
    if request.user.is_authenticated:
        initial["email"] = request.user.email
    return initial


def contact(request):
    """The customer service form: the message goes to the shop administrator by e-mail (and
    to admin); the typed text is kept on any error."""
    if request.method == "POST":
        form = ContactForm(request.POST)
    else:
        form = ContactForm(initial=_contact_initial(request))
    status = 200
    if request.method == "POST":
        if form_over_limit(
            request,
            form,
            scope="contact",
            limit=settings.CONTACT_RATE,
            window=3600,
            message="You have sent several messages in the last hour. Please wait a little and "
            f"send this one again, or write to {settings.SHOP_ADMIN_EMAIL}.",
        ):
            status = 429
        elif form.is_valid():
            if not form.is_spam():
                services.send_contact_message(
                    **{f: form.cleaned_data[f] for f in ContactForm.Meta.fields},
                    site_url=shop_url(request),
                )
            messages.success(
                request,
                "Thank you, your message is on its way. We answer by e-mail within one working "
                "day.",
            )
            return redirect("service:contact")
    return render(
        request,
        "service/contact.html",
        {
            "form": form,
            "pages": list_pages(),
            "current": "contact",
            "page_title": CONTACT_TITLE,
            "meta_description": "Ask a question about an order, a product, a return or payment.",
        },
        status=status,
    )
