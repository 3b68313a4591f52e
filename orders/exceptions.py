class CheckoutError(Exception):
    """Checkout cannot go on; the message is meant for the shopper."""


class EmptyCart(CheckoutError):
    def __init__(self) -> None:
        super().__init__("Your cart is empty.")


class OutOfStock(CheckoutError):
    """Some lines can no longer be ordered as they are (the cart is left unchanged)."""

    def __init__(self, lines) -> None:
        self.lines = lines
        details = "; ".join(f"{line.variant.product.name}: {line.problem}" for line in lines)
        super().__init__(f"Some items are no longer available as ordered. {details}")


class IllegalTransition(Exception):
    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"An order cannot go from “{current}” to “{wanted}”.")


class PriceChanged(CheckoutError):
    """The cart or its prices changed after the shopper reviewed the order."""

    def __init__(self) -> None:
        super().__init__(
            "Your cart or its prices changed since you reviewed the order. "
            "Please check the new total and place the order again."
        )


class OrderTooLarge(CheckoutError):
    """The order's amounts do not fit the order's money columns (10 digits, 2 decimals): 999
    of a 99,999.99 article twice over. Said to the shopper instead of a database error."""

    def __init__(self, limit) -> None:
        from core.money import format_money

        super().__init__(
            f"This order is too large to place online: its total may be at most "
            f"{format_money(limit)}. Please order fewer items at a time, or write to us."
        )
