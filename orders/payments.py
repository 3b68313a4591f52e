"""Payment methods, registered in one place. Each knows what the customer is told to do
(``instructions``) and whether the order ships before the money arrives; a payment is
confirmed by staff (orders.services.mark_paid, or on delivery for cash on delivery)."""

from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone


@dataclass(frozen=True)
class PaymentMethod:
    code: str
    name: str
    description: str
    # Cash on delivery ships before the money arrives; the others wait for payment.
    ships_before_payment: bool = False

    def instructions(self, order) -> dict | None:
        """What the confirmation page and e-mail tell the customer to do, if anything."""
        return None


@dataclass(frozen=True)
class CashOnDelivery(PaymentMethod):
    code: str = "cod"
    name: str = "Cash on delivery"
    description: str = "Pay the carrier in cash when the parcel arrives."
    ships_before_payment: bool = True


@dataclass(frozen=True)
class BankTransfer(PaymentMethod):
    code: str = "bank_transfer"
    name: str = "Bank transfer"
    description: str = "Transfer the total to our account; we ship once it arrives."

    def instructions(self, order) -> dict | None:
        return {
            "account_holder": settings.SHOP_BANK_ACCOUNT_HOLDER,
            "iban": settings.SHOP_BANK_IBAN,
            "bic": settings.SHOP_BANK_BIC,
            "bank": settings.SHOP_BANK_NAME,
            "reference": order.number,
            "amount": order.total,
            "days": settings.SHOP_UNPAID_ORDER_DAYS,
            "pay_by": order.payment_deadline,  # what expire_unpaid_orders applies
            # past it, the order waits (up to ten minutes) for the job that cancels it: no
            # transfer should be asked for then (the money would arrive for a cancelled order)
            "overdue": timezone.now() >= order.payment_deadline,
        }


REGISTRY: dict[str, PaymentMethod] = {m.code: m for m in (CashOnDelivery(), BankTransfer())}


def get_payment_method(code: str) -> PaymentMethod | None:
    return REGISTRY.get(code)


def payment_method_name(code: str) -> str:
    """The method's name as shoppers and staff read it (the code of one no longer offered)."""
    method = get_payment_method(code)
    return method.name if method else code


def list_payment_methods() -> list[PaymentMethod]:
    return list(REGISTRY.values())
