"""Carriers staff can choose when marking an order shipped, and their tracking links."""

from urllib.parse import quote

from django.conf import settings

# The choice when SHOP_CARRIERS is not set; their links also serve orders shipped with one of
# them before the shop set its own list.
CARRIERS = {
    "DHL": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={}",
    "DPD": "https://tracking.dpd.de/status/en_US/parcel/{}",
    "GLS": "https://gls-group.com/track/{}",
    "UPS": "https://www.ups.com/track?tracknum={}",
    "Hermes": "https://www.myhermes.de/empfangen/sendungsverfolgung/sendungsinformation#{}",
    "Deutsche Post": "https://www.deutschepost.de/sendung/simpleQuery.html?form.sendungsnummer={}",
}


def list_carriers() -> dict[str, str]:
    """The carriers staff choose from, each with its tracking link ("" for none): the shop's
    own (SHOP_CARRIERS) or, unset, CARRIERS."""
    return settings.SHOP_CARRIERS or CARRIERS


def carrier_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in list_carriers()]


def tracking_url(carrier: str, tracking_number: str) -> str:
    """The carrier's tracking link for the number, or "" (no number, or no link). A carrier
    the list names has the list's link, none if it has none (a merchant who set no link means
    none, even for a name a built-in carrier shares); one it does not name (an order shipped
    before the shop set its own list) has the built-in link, if any."""
    carriers = list_carriers()
    template = carriers[carrier] if carrier in carriers else CARRIERS.get(carrier)
    if not template or not tracking_number:
        return ""
    return template.format(quote(tracking_number, safe=""))
