from django.views.generic import TemplateView

from orders.payments import list_payment_methods
from orders.selectors import list_delivery_options

PAGES = [
    ("guide", "Shopping guide", "How to find, order and pay for what you need."),
    ("commitments", "Our commitments", "What we promise every customer."),
    ("returns", "Returns and exchanges", "Send back or exchange any item within 7 days."),
    ("payment", "Payment methods", "Card, bank transfer or cash on delivery."),
    ("delivery", "Delivery fees and times", "What shipping costs and how long it takes."),
]


class ServicePageView(TemplateView):
    page = ""

    def get_template_names(self):
        return [f"service/{self.page}.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        current = next((p for p in PAGES if p[0] == self.page), None)
        context.update(
            pages=PAGES,
            current=self.page,
            page_title=current[1] if current else "Customer service",
            meta_description=current[2] if current else "Help with orders, payment and returns.",
        )
        context.update(self.extra_context_for_page())
        return context

    def extra_context_for_page(self) -> dict:
        if self.page == "delivery":
            return {"shipping_methods": list_delivery_options()}
        if self.page == "payment":
            return {"payment_methods": list_payment_methods()}
        return {}
