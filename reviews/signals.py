"""Signals of the review workflow: other apps (notifications, for one) listen without ``reviews``
depending on them. Receivers get ``by`` (the person who acted; the review signals also carry it as
``user``). A receiver that does something outside the database (mail, chat) waits for the commit.
"""

from django.dispatch import Signal

# A review moved one step, sent inside the transaction of the change: ``review``, ``action`` (a key of
# reviews.workflow.STEPS: send_to_csm, submit_self, submit, acknowledge, finalize, reopen), ``status``
# (the new status), ``by`` and ``user``.
review_transitioned = Signal()
# A cycle opened (or opened again for CSMs who had no review yet): ``cycle``, ``reviews`` (the reviews
# created now), ``by``.
cycle_opened = Signal()
# The CSM flagged a number (``dispute``), or the reviewer answered one; ``by``. Sent inside the
# transaction.
dispute_raised = Signal()
dispute_answered = Signal()
# The same moments and the closing of a flag, sent once the transaction commits: ``flag``, ``review``,
# ``user``.
flag_raised = Signal()
flag_answered = Signal()
flag_resolved = Signal()
flag_withdrawn = Signal()
# Calibration changed a review's final rating: ``review``, ``before``, ``after``, ``reason``, ``by``.
rating_calibrated = Signal()
# HR asked, from the cycle page, to remind whoever a review waits on (one review, or every overdue
# review of a cycle): ``review``, ``recipient`` (the reviewer or the CSM), ``requested_by`` (HR), ``due``
# (a date or None), ``overdue`` (bool). Sent right away; delivering it is the listener's business. A
# listener returns True when it reminded the person, REMINDER_KEPT when it saved the reminder but its
# email waits for the mail queue (Redis down: it goes out when the queue is back), False when it did
# not remind them (reminded already today).
reminder_requested = Signal()
REMINDER_KEPT = "kept"
# A colleague was asked for input on a review (``request``), or answered or declined it; ``by``.
# Sent inside the transaction (the notifications app waits for the commit to mail).
input_requested = Signal()
input_answered = Signal()
input_declined = Signal()
