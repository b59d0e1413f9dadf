"""Events of the review workflow, for whoever listens (notifications, for one); sent once the
transaction that caused them commits, never from a rolled-back one. Receivers get ``review`` (or
``flag``) and ``user`` (who acted); ``review_transitioned`` also ``action`` (a key of
``services.TRANSITIONS``) and ``status`` (the new status)."""

from django.dispatch import Signal

review_transitioned = Signal()
flag_raised = Signal()
flag_answered = Signal()
flag_resolved = Signal()
flag_withdrawn = Signal()
