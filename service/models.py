from django.db import models


class ContactMessage(models.Model):
    """A question a shopper sent with the customer service form; staff answer it by e-mail."""

    class Topic(models.TextChoices):
        ORDER = "order", "An order"
        PRODUCT = "product", "A product"
        RETURN = "return", "A return or exchange"
        PAYMENT = "payment", "Payment or invoice"
        OTHER = "other", "Something else"

    name = models.CharField(max_length=80)
    email = models.EmailField()
    topic = models.CharField(max_length=10, choices=Topic.choices, default=Topic.OTHER)
    order_number = models.CharField(max_length=20, blank=True)
    message = models.TextField(max_length=3000)
    created_at = models.DateTimeField(auto_now_add=True)
    handled = models.BooleanField(default=False, help_text="Answered or otherwise dealt with.")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "customer message"
        indexes = [models.Index(fields=["handled", "-created_at"], name="contact_handled_created")]

    def __str__(self) -> str:
        return f"{self.name}: {self.message[:40]}"


class ServiceText(models.Model):
    """The shop's own wording for a customer service page, shown instead of the standard text
    (payment and delivery: below the list of methods and fees, which always come from them)."""

    class Page(models.TextChoices):
        GUIDE = "guide", "Shopping guide"
        COMMITMENTS = "commitments", "Our commitments"
        RETURNS = "returns", "Returns and exchanges"
        PAYMENT = "payment", "Payment methods (below the list of methods)"
        DELIVERY = "delivery", "Delivery fees and times (below the table of fees)"

    page = models.CharField(max_length=20, choices=Page.choices, unique=True)
    text = models.TextField(
        max_length=20000,
        help_text="Plain text: a blank line starts a new paragraph. Delete this text to show "
        "the standard one again.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["page"]
        verbose_name = "service page text"

    def __str__(self) -> str:
        return self.get_page_display()
