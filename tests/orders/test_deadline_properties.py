"""Properties of the payment deadline (orders.models.days_later) and the unpaid-order expiry,
for any moment of any year in the shop's time zones, across changes to and from summer time."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from orders.models import days_later

moments = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001 (made aware below)
    max_value=datetime(2035, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
zones = st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"])
# In Berlin: a week before the clocks go forward (29 March 2026, 02:00 -> 03:00) and back
# (25 October 2026, 03:00 -> 02:00), at the hour that is skipped or repeated a week later.
BEFORE_SPRING = datetime(2026, 3, 22, 1, 30, tzinfo=UTC)  # 02:30 Berlin
BEFORE_AUTUMN = datetime(2026, 10, 18, 0, 30, tzinfo=UTC)  # 02:30 Berlin (summer time)


@settings(max_examples=200)
@given(moment=moments, days=st.integers(min_value=1, max_value=30), zone=zones)
@example(moment=BEFORE_SPRING, days=7, zone="Europe/Berlin")
@example(moment=BEFORE_AUTUMN, days=7, zone="Europe/Berlin")
def test_a_deadline_is_the_same_time_of_day_days_later_and_never_early(
    settings, moment, days, zone
):
    settings.TIME_ZONE = zone
    deadline = days_later(moment, days)

    assert deadline.tzinfo is not None
    # days of 23 or 25 hours: at most one hour either way, never earlier than promised
    assert abs(deadline - moment - timedelta(days=days)) <= timedelta(hours=1)
    wall = moment.astimezone(ZoneInfo(zone))
    later = deadline.astimezone(ZoneInfo(zone))
    assert later.date() == wall.date() + timedelta(days=days)
    if later.time() != wall.time():  # only where the clocks skip that time that day
        assert later.replace(tzinfo=None) - wall.replace(tzinfo=None) == timedelta(
            days=days, hours=1
        )
    # the expiry's pre-filter (orders created before now - N days + 3 hours) never misses one
    # whose deadline has passed
    assert moment < deadline - timedelta(days=days) + timedelta(hours=3)
