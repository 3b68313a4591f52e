"""A full disk (or a used-up quota) where the shop writes files: staff get a clear message and
keep what they typed, instead of a server error that loses it."""

import errno
import logging
import sqlite3

from django import forms

logger = logging.getLogger(__name__)

NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
POSTGRES_DISK_FULL = "53100"  # SQLSTATE disk_full: the database could not grow a file

DISK_FULL_MESSAGE = (
    "The server's disk is full, so the pictures could not be stored and nothing on this page "
    "was saved. What you typed is still here. Ask whoever runs the server to make space "
    "(deploy/README.md, \u201cDisk space\u201d), then choose the pictures again and save."
)


def is_disk_full(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) is a write refused for want of space: a file's,
    or the database's (PostgreSQL's disk_full, SQLite's "database or disk is full")."""
    while error is not None:
        if isinstance(error, OSError) and error.errno in NO_SPACE_ERRNOS:
            return True
        if getattr(error, "sqlstate", None) == POSTGRES_DISK_FULL:
            return True
        if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return True
        error = error.__cause__ or error.__context__
    return False


class KeepsTheFormWhenTheDiskIsFull:
    """For a ModelAdmin whose form or inlines store files: when storing one fails for want of
    space, the page is shown again with everything typed and DISK_FULL_MESSAGE above the form,
    instead of a server error. Nothing is saved (the admin's transaction rolls back; a file
    already written by then is deleted by the nightly clean-up of pictures nobody names)."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except OSError as error:
            # (an upload too large to keep in memory, refused in /tmp while the request was
            # read: the form's data is gone too, and the 503 page says to go back instead)
            if request.method != "POST" or not is_disk_full(error) or not request.POST:
                raise
            logger.error(
                "Disk full: %s %s was not saved (%s); the form is shown again",
                self.model._meta.label,
                object_id or "(new)",
                error,
            )
        request.disk_full = True
        # notes the failed save queued for the next page (a stock edit's outcome) describe
        # changes that were rolled back
        queued = getattr(getattr(request, "_messages", None), "_queued_messages", None)
        if queued is not None:
            queued.clear()
        # the same request again, with the form refused before anything is written
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if not getattr(request, "disk_full", False):
            return form

        class RefusedForAFullDisk(form):
            def clean(self):
                super().clean()
                raise forms.ValidationError(DISK_FULL_MESSAGE, code="disk_full")

        RefusedForAFullDisk.__name__ = form.__name__
        return RefusedForAFullDisk
