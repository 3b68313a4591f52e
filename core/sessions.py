"""The session store: Django's cached_db, writing an existing session in one statement.

Django's database store wraps every session save in a transaction, also a plain update of an
existing row: three round trips (BEGIN, UPDATE, COMMIT) on every request that changes the
session, such as every checkout POST. An UPDATE of one row is atomic by itself, so an update
here is that one statement (autocommit); creating a session keeps Django's transaction (it must
tell a key collision apart). A session that vanished meanwhile still raises UpdateError, so the
request ends as Django's would (SessionInterrupted). A session whose cached copy could not be
rewritten (Redis not answering) moves to a new key (see save); every move of a session to a new
key (that one, and signing in) is announced by ``session_key_moved``, so that rows filed under
the old key (a visitor's cart) follow it.
"""

import logging

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.base import UpdateError
from django.db import router
from django.dispatch import Signal

from .cache import cache_is_dropping_writes, delete_when_it_answers

logger = logging.getLogger(__name__)

#: Sent after a session moved to a new key, with ``old_key`` and ``new_key``.
session_key_moved = Signal()


class SessionStore(cached_db.SessionStore):
    def delete(self, session_key=None):
        """Django's, and a cached copy Redis could not delete now (logout while it does not
        answer) is deleted once it answers: a stalled Redis keeps it, and it would sign the
        old cookie in again."""
        key = session_key or self.session_key
        super().delete(session_key)
        if key and cache_is_dropping_writes(self._cache):
            delete_when_it_answers(self.cache_key_prefix + key)

    def cycle_key(self):
        old_key = self.session_key
        super().cycle_key()
        if old_key and old_key != self.session_key:
            session_key_moved.send(sender=type(self), old_key=old_key, new_key=self.session_key)

    def save(self, must_create=False):
        if must_create or self.session_key is None:
            return super().save(must_create=must_create)
        obj = self.create_model_instance(self._get_session())
        using = router.db_for_write(self.model, instance=obj)
        updated = (
            self.model.objects.using(using)
            .filter(session_key=obj.session_key)
            .update(session_data=obj.session_data, expire_date=obj.expire_date)
        )
        if not updated:
            raise UpdateError
        try:
            self._cache.set(self.cache_key, self._session, self.get_expiry_age())
        except Exception:
            logger.exception("Error saving to cache (%s)", self._cache)
        else:
            if not cache_is_dropping_writes(self._cache):
                return
        # The cached copy was not rewritten, and a Redis that stalled (rather than restarted)
        # still holds the one from before: once it answers again, every worker would read
        # that older session (an order just placed missing from it: its confirmation page a
        # 404). Move the session to a new key, which no copy is stored under; the response
        # gives the browser the new key.
        logger.warning("Session cache not written; the session moves to a new key")
        self.cycle_key()
