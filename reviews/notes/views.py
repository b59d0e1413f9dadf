"""Feedback note pages: write a note on a CSM and read the notes one may see; edit or delete one's
own; a note's history (for its CSM, only the versions shown to them)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import CustomerAccount, Role, User
from accounts.requests import PersonRequest
from core import text
from reviews.models import FeedbackNote, NoteKind
from reviews.notes import selectors, services

PAGE_SIZE = 50


class NoteForm(forms.Form):
    csm = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label=gettext_lazy("About"),
        required=False,
        empty_label=gettext_lazy("Choose a CSM"),
    )
    kind = forms.ChoiceField(choices=NoteKind.choices, label=gettext_lazy("Kind"), widget=forms.RadioSelect)
    body = forms.CharField(
        label=gettext_lazy("Note"),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": text.NOTE}),
        validators=[text.MaxChars(text.NOTE)],
    )
    account = forms.ModelChoiceField(
        queryset=CustomerAccount.objects.none(),
        required=False,
        label=gettext_lazy("About the account"),
        empty_label="—",
    )
    metric = forms.ChoiceField(required=False, label=gettext_lazy("About the metric"))
    shared_with_csm = forms.BooleanField(
        required=False,
        label=gettext_lazy("Show this note to the CSM"),
        help_text=gettext_lazy("Their manager and HR read every note; the CSM only the ones you show them."),
    )

    def __init__(self, *args, author: User, editing: FeedbackNote | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        csm, account, metric = self.fields["csm"], self.fields["account"], self.fields["metric"]
        assert isinstance(csm, forms.ModelChoiceField) and isinstance(account, forms.ModelChoiceField)
        assert isinstance(metric, forms.ChoiceField)
        if editing is None:
            csm.queryset = (
                User.objects.filter(role=Role.CSM, is_active=True).exclude(pk=author.pk).order_by("name")
            )
            csm.required = True
        else:
            del self.fields["csm"]
        account.queryset = CustomerAccount.objects.visible_to(author).order_by("name")
        metric.choices = [("", "—")] + [(m.key, m.name) for m in services.note_metrics()]


def _errors_to(form: forms.Form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
def note_list(request: PersonRequest) -> HttpResponse:
    """The notes the person may read (optionally on one CSM), and the form to write one."""
    user = request.user
    initial = {}
    about = None
    if (request.GET.get("csm") or "").isdigit() and len(request.GET["csm"]) < 12:
        about = User.objects.filter(pk=int(request.GET["csm"]), role=Role.CSM).first()
        if about is not None:
            initial["csm"] = about.pk
    form = NoteForm(request.POST or None, author=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            note = services.note_create(
                author=user,
                csm=data["csm"],
                kind=data["kind"],
                body=data["body"],
                account=data["account"],
                metric=data["metric"],
                shared_with_csm=data["shared_with_csm"],
            )
        except ValidationError as exc:
            _errors_to(form, exc)
        else:
            shown = _("%(csm)s will read it.") if note.shared_with_csm else _("%(csm)s will not read it.")
            messages.success(
                request,
                _("Note on %(csm)s saved; their manager and HR read it.") % {"csm": note.csm.get_full_name()}
                + " "
                + shown % {"csm": note.csm.get_full_name()},
            )
            return redirect(reverse("feedback-list") + f"?csm={note.csm_id}")
    notes = FeedbackNote.objects.visible_to(user).select_related("csm", "author", "account")
    if about is not None:
        notes = notes.filter(csm=about)
    page = Paginator(notes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/feedback_list.html",
        {
            "form": form,
            "page": page,
            "notes": [selectors.note_row(n, user) for n in page.object_list],
            "about": about,
        },
    )


def _visible(request: PersonRequest, note_id: int) -> FeedbackNote:
    return get_object_or_404(
        FeedbackNote.objects.visible_to(request.user).select_related("csm", "author", "account"), pk=note_id
    )


@login_required
def note_edit(request: PersonRequest, note_id: int) -> HttpResponse:
    """The author edits their note (anyone else who may read it is sent to its history)."""
    note = _visible(request, note_id)
    if note.author_id != request.user.pk:
        raise Http404
    initial = {
        "kind": note.kind,
        "body": note.body,
        "account": note.account_id,
        "metric": note.metric,
        "shared_with_csm": note.shared_with_csm,
    }
    form = NoteForm(request.POST or None, author=request.user, editing=note, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.note_update(
                user=request.user,
                note=note,
                kind=data["kind"],
                body=data["body"],
                account=data["account"],
                metric=data["metric"],
                shared_with_csm=data["shared_with_csm"],
            )
        except ValidationError as exc:
            _errors_to(form, exc)
        else:
            messages.success(request, _("Note saved; its history keeps the version before."))
            return redirect(reverse("feedback-list") + f"?csm={note.csm_id}")
    return render(request, "reviews/feedback_edit.html", {"form": form, "note": note})


@login_required
@require_POST
def note_delete(request: PersonRequest, note_id: int) -> HttpResponse:
    note = _visible(request, note_id)
    try:
        services.note_delete(user=request.user, note=note, reason=request.POST.get("reason", ""))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("feedback-list")
    messages.success(request, _("Note deleted; its history keeps it."))
    return redirect(reverse("feedback-list") + f"?csm={note.csm_id}")


@login_required
def note_history(request: PersonRequest, note_id: int) -> HttpResponse:
    note = _visible(request, note_id)
    return render(
        request,
        "reviews/feedback_history.html",
        {"note": note, "entries": selectors.note_history(note, request.user)},
    )
