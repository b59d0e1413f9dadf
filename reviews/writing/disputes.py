"""A CSM flags a number of their submitted review, the reviewer answers, the CSM resolves or withdraws
the flag; comments on a review. The version guard and the free-text rule are writing's
(``reviews.writing.services``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from kpis.registry import REGISTRY
from reviews import signals
from reviews.access import review_view
from reviews.models import UNRESOLVED_FLAGS, Comment, Dispute, FlagState, Review, ReviewStatus
from reviews.wording import OKR_SCORE
from reviews.writing.services import free_text, is_reviewer, refuse


def _announce(signal, dispute: Dispute, user: User) -> None:
    transaction.on_commit(lambda: signal.send(sender=Dispute, flag=dispute, review=dispute.review, user=user))


def _flag_save(dispute: Dispute, user: User) -> Dispute:
    dispute._history_user = user
    dispute.save()
    return dispute


@transaction.atomic
def dispute_raise(*, user: User, review: Review, metric: str, comment: str) -> Dispute:
    if user.pk != review.csm_id:
        raise PermissionDenied(_("Only the CSM flags a number of their review."))
    if review.status != ReviewStatus.SUBMITTED:
        refuse(_("Numbers are flagged after the review is submitted and before it is acknowledged."))
    if metric not in REGISTRY and metric != OKR_SCORE:
        raise ValidationError({"metric": _("This is not a number of this review.")})
    if not free_text(comment, "comment").strip():
        raise ValidationError({"comment": _("Say what is wrong with the number.")})
    dispute = _flag_save(Dispute(review=review, metric=metric, comment=comment.strip(), raised_by=user), user)
    signals.dispute_raised.send(sender=Dispute, dispute=dispute, by=user)
    _announce(signals.flag_raised, dispute, user)
    return dispute


def _flag_locked(dispute: Dispute) -> Dispute:
    return Dispute.objects.select_for_update(of=("self",)).select_related("review").get(pk=dispute.pk)


@transaction.atomic
def dispute_answer(*, user: User, dispute: Dispute, answer: str) -> Dispute:
    """The reviewer answers an open flag (or answers again before the CSM resolves it)."""
    dispute = _flag_locked(dispute)
    if not is_reviewer(user, dispute.review):
        raise PermissionDenied(_("The reviewer answers a flagged number."))
    if dispute.review.status == ReviewStatus.FINALIZED:
        refuse(_("A finalized review is read-only."))
    if not dispute.is_unresolved:
        refuse(
            _("This flag is %(state)s: it takes no answer.") % {"state": dispute.get_state_display().lower()}
        )
    if not free_text(answer, "answer").strip():
        raise ValidationError({"answer": _("An answer cannot be empty.")})
    dispute.answer, dispute.answered_by, dispute.answered_at = answer.strip(), user, timezone.now()
    dispute.state = FlagState.ANSWERED
    _flag_save(dispute, user)
    signals.dispute_answered.send(sender=Dispute, dispute=dispute, by=user)
    _announce(signals.flag_answered, dispute, user)
    return dispute


def _flag_close(*, user: User, dispute: Dispute, state: str, allowed: tuple, signal) -> Dispute:
    dispute = _flag_locked(dispute)
    if user.pk != dispute.review.csm_id:
        raise PermissionDenied(_("The CSM who flagged the number closes the flag."))
    if dispute.review.status == ReviewStatus.FINALIZED:
        refuse(_("A finalized review is read-only."))
    if dispute.state not in allowed:
        refuse(
            _("Only an answered flag is resolved (withdraw it while it waits for an answer).")
            if state == FlagState.RESOLVED
            else _("Only an open or answered flag is withdrawn.")
        )
    dispute.state, dispute.closed_at = state, timezone.now()
    _flag_save(dispute, user)
    _announce(signal, dispute, user)
    return dispute


@transaction.atomic
def dispute_resolve(*, user: User, dispute: Dispute) -> Dispute:
    """The CSM accepts the answer: the flag is resolved."""
    return _flag_close(
        user=user,
        dispute=dispute,
        state=FlagState.RESOLVED,
        allowed=(FlagState.ANSWERED,),
        signal=signals.flag_resolved,
    )


@transaction.atomic
def dispute_withdraw(*, user: User, dispute: Dispute) -> Dispute:
    """The CSM takes the flag back, answered or not."""
    return _flag_close(
        user=user,
        dispute=dispute,
        state=FlagState.WITHDRAWN,
        allowed=UNRESOLVED_FLAGS,
        signal=signals.flag_withdrawn,
    )


def comment_add(*, user: User, review: Review, body: str) -> Comment:
    if review.status == ReviewStatus.FINALIZED:
        refuse(_("A finalized review is read-only."))
    view = review_view(user, review)
    if user.pk == review.csm_id and not view.can_read:
        raise PermissionDenied(_("The review is not shared with you yet."))
    if not view.can_comment:
        raise PermissionDenied(_("Only the CSM, the reviewer and HR comment on a review."))
    if not free_text(body, "body").strip():
        raise ValidationError({"body": _("A comment cannot be empty.")})
    return Comment.objects.create(review=review, author=user, body=body.strip())
