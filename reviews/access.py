"""Who sees what of a review: the one rule that every surface asks.

The page, the API (detail and list), the history page, the PDF, the cycle zip, comments and the
Django admin (for staff who are not superusers) all call ``review_view(user, review)`` and show a
field only when the answer says so; none of them decides on its own.

The rule (state is the review's status, or a historical record's status for the history):

- Who reads a review at all: the CSM once it is shared (any state but draft); the reviewer; the
  CSM's team manager; HR and admins (mirrors ``Review.objects.visible_to``).
- The CSM's self-review (``SELF_FIELDS``: texts, self-ratings and the customers' words it quotes) is the CSM's until submitted: before manager review only
  the CSM and HR (when HR is not the reviewer) see it; the reviewer and admins see it once it is
  submitted, so that the reviewer forms their own view first.
- The manager's part (``MANAGER_FIELDS``: texts, section ratings, the customers' words quoted, the suggested and final rating and
  its reason, the calibration's rating, reason, who and when, and the rating that counts) is the
  reviewer's until submitted: the reviewer, admins and HR see the draft; the CSM
  and any other reader see it from ``submitted`` on (and no longer after a reopen, until the new
  revision is submitted).
- The CSM reads the history and the PDF once the review is submitted; other readers whenever they
  read the review (hidden fields are masked there as everywhere).
- In the Django admin a superuser sees the whole record; every other staff member gets this rule.

Cycles, calibration's administration and the cycle's files are HR's (HR and CS ops / admins):
``require_hr`` is that rule, for the services (a 403 with the reason) and the pages (a 404: the
page does not exist for anyone else).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import EVERYONE_ROLES, Role
from reviews.models import STATUS_ORDER, Review, ReviewStatus

SELF_FIELDS = frozenset({"self_assessment", "self_ratings", "self_quotes"})
MANAGER_FIELDS = frozenset(
    {
        "manager_assessment",
        "section_ratings",
        "manager_quotes",
        "suggested_rating",
        "suggested_detail",
        "final_rating",
        "final_rating_reason",
        "calibrated_rating",
        "calibration_reason",
        "calibrated_by",
        "calibrated_at",
        "rating",  # the calibrated rating if any, else the final one
    }
)
HIDDEN = "hidden until submitted"


def is_hr(user) -> bool:
    """HR's part (cycles, finalize, reopen, the cycle's files) is also open to CS ops / admins."""
    return getattr(user, "role", None) in EVERYONE_ROLES


def require_hr(user, message: str | None = None, *, page: bool = False) -> None:
    """Refuse anyone but HR (and CS ops / admins): ``PermissionDenied`` with ``message`` (default:
    HR runs review cycles), or for a page (``page``) a 404, so the page does not exist for them."""
    if is_hr(user):
        return
    if page:
        raise Http404
    raise PermissionDenied(message or _("HR runs review cycles."))


@dataclass(frozen=True)
class ReviewView:
    """What one person sees of one review in one state."""

    can_read: bool
    is_csm: bool
    is_reviewer: bool
    is_hr: bool
    self_visible: bool
    manager_visible: bool
    history_visible: bool
    pdf_visible: bool
    can_write_self: bool
    can_write_manager: bool
    can_comment: bool

    @property
    def hidden_fields(self) -> frozenset[str]:
        hidden: frozenset[str] = frozenset()
        if not self.self_visible:
            hidden |= SELF_FIELDS
        if not self.manager_visible:
            hidden |= MANAGER_FIELDS
        return hidden

    def mask(self, values: dict, placeholder=None) -> dict:
        """``values`` (field name -> value) with every hidden field's value replaced."""
        hidden = self.hidden_fields
        return {k: (placeholder if k in hidden else v) for k, v in values.items()}


NOTHING = ReviewView(**{f.name: False for f in fields(ReviewView)})
# A superuser in the Django admin: the whole record, read-only (the admin writes nothing of it).
EVERYTHING = replace(
    NOTHING, can_read=True, self_visible=True, manager_visible=True, history_visible=True, pdf_visible=True
)


def _team_manager_id(review: Review) -> int | None:
    team = review.csm.team
    return team.manager_id if team else None


def review_view(user, review: Review, *, status: str | None = None, admin_site: bool = False) -> ReviewView:
    """What ``user`` sees of ``review`` when it is in ``status`` (default: its current status).

    ``status`` is given for a historical record of the review: a field hidden when that record was
    written stays hidden in it, whatever the review's state today. ``admin_site``: the Django admin,
    where a superuser sees the whole record."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if admin_site and user.is_superuser:
        return EVERYTHING
    is_csm = user.pk == review.csm_id
    # Who opens the review at all depends on the review as it is now ...
    if user.role in EVERYONE_ROLES:
        can_read = True
    elif user.role == Role.MANAGER:
        can_read = user.pk == review.reviewer_id or user.pk == _team_manager_id(review)
    else:
        can_read = is_csm and review.status != ReviewStatus.DRAFT
    if not can_read:
        return NOTHING
    # ... which of its fields they see, on the state asked about (a historical record's).
    status = status or review.status
    at = STATUS_ORDER.index(status)

    def reached(s: str) -> bool:
        return at >= STATUS_ORDER.index(s)

    is_hr = user.role in EVERYONE_ROLES
    # Admins may act as the reviewer of any review; never the CSM of their own.
    is_reviewer = not is_csm and (user.pk == review.reviewer_id or user.role == Role.ADMIN)
    self_visible = is_csm or (is_hr and not is_reviewer) or reached(ReviewStatus.MANAGER_REVIEW)
    if is_csm:
        manager_visible = reached(ReviewStatus.SUBMITTED)
    else:
        manager_visible = is_reviewer or is_hr or reached(ReviewStatus.SUBMITTED)
    record_visible = not is_csm or reached(ReviewStatus.SUBMITTED)
    return ReviewView(
        can_read=True,
        is_csm=is_csm,
        is_reviewer=is_reviewer,
        is_hr=is_hr,
        self_visible=self_visible,
        manager_visible=manager_visible,
        history_visible=record_visible,
        pdf_visible=record_visible,
        can_write_self=is_csm and status == ReviewStatus.SELF_REVIEW,
        can_write_manager=is_reviewer and not reached(ReviewStatus.SUBMITTED),
        can_comment=is_csm or is_reviewer or is_hr,
    )


def may_ask_input(user, review: Review) -> bool:
    """Who asks colleagues for input on a review: its reviewer (an admin acts as one) and HR."""
    return is_hr(user) or review_view(user, review).is_reviewer
