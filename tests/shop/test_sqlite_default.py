"""The embedded SQLite default copes with two requests writing at once (a double-clicked
"Buy now"): the second waits for the first instead of failing with "database is locked"."""

import threading
import time

from django.conf import settings
from django.db.backends.sqlite3.base import DatabaseWrapper


def connect(path):
    wrapper = DatabaseWrapper(
        {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": dict(settings.SQLITE_OPTIONS),
            "ATOMIC_REQUESTS": False,
            "AUTOCOMMIT": True,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "TIME_ZONE": None,
            "USER": "",
            "PASSWORD": "",
            "HOST": "",
            "PORT": "",
            "TEST": {},
        },
        alias="race",
    )
    wrapper.ensure_connection()
    return wrapper


def test_two_transactions_that_read_then_write_both_succeed(tmp_path, django_db_blocker):
    with django_db_blocker.unblock():  # a database of its own, not the test database
        race(tmp_path / "race.sqlite3")


def race(path):
    setup = connect(path)
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE orders (key TEXT UNIQUE)")
    setup.close()
    errors, placed = [], []

    def place(delay):
        time.sleep(delay)
        conn = connect(path)
        try:
            conn.set_autocommit(False)  # as transaction.atomic() begins: BEGIN <mode>
            conn._start_transaction_under_autocommit()
            with conn.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM orders WHERE key = 'k'")  # already placed?
                exists = cursor.fetchone()[0]
                time.sleep(0.3)  # the other request reads meanwhile
                if not exists:
                    cursor.execute("INSERT INTO orders VALUES ('k')")
                    placed.append(delay)
            conn.commit()
        except Exception as exc:  # what a 500 would have shown
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=place, args=(d,)) for d in (0, 0.1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert placed == [0]  # the second saw the first's order and placed none
