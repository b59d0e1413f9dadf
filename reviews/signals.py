"""Signals of the review workflow: other apps (notifications) listen without ``reviews`` depending on them.

Each is sent by ``reviews.services`` inside the transaction of the change, once the change is saved,
with ``by`` (the person who made it). A receiver that does something outside the database (mail, chat)
waits for the commit (``transaction.on_commit``).
"""

from django.dispatch import Signal

# A review moved one step: ``review``, ``action`` (a key of services.TRANSITIONS: send_to_csm,
# submit_self, submit, acknowledge, finalize, reopen), ``by``.
review_transitioned = Signal()
# A cycle opened (or opened again for CSMs who had no review yet): ``cycle``, ``reviews`` (the reviews
# created now), ``by``.
cycle_opened = Signal()
# The CSM flagged a number (``dispute``), or the reviewer answered one; ``by``.
dispute_raised = Signal()
dispute_answered = Signal()
# Calibration changed a review's final rating: ``review``, ``before``, ``after``, ``reason``, ``by``.
rating_calibrated = Signal()
