"""The password login form: allauth's (so that two-factor and SSO-only follow a password), posting the
email as ``username`` like the login page always did (django-axes counts failures by it)."""

from allauth.account.adapter import get_adapter
from allauth.account.forms import LoginForm
from allauth.account.models import Login
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import signins
from accounts.models import normalize_email

WRONG_LOGIN = _("Please enter a correct email and password.")


class PasswordLoginForm(LoginForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, forms.Field] = dict(self.fields)  # type: ignore[has-type]
        del fields["login"]
        # No length limit in the form: a long address is a wrong login, counted by django-axes.
        self.fields = {"username": forms.CharField(label=_("Email"), strip=True), **fields}

    def user_credentials(self) -> dict:
        return {
            "email": normalize_email(self.cleaned_data.get("username", "")),
            "password": self.cleaned_data.get("password", ""),
        }

    def clean(self):
        if self._errors:
            return self.cleaned_data
        credentials = self.user_credentials()
        user = self._authenticate(credentials)
        if not user:
            raise ValidationError(WRONG_LOGIN, code="invalid_login")
        refusal = signins.password_refusal(user)
        if refusal:
            signins.record_refusal(self.request, method=signins.PASSWORD, email=user.email, reason=refusal)
            raise ValidationError(str(refusal), code="sso_only")
        self._login = Login(user=user, email=credentials["email"])
        self.user = user
        return self.cleaned_data

    def _authenticate(self, credentials):
        return get_adapter(self.request).authenticate(self.request, **credentials)


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's own login page takes no password: everyone logs in on the login page, where
    two-factor and SSO-only apply, then opens the admin. Wrong passwords still count for the lockout."""

    def confirm_login_allowed(self, user):
        raise ValidationError(
            _("Log in on the login page (%(url)s), then open the administration."),
            params={"url": reverse("login")},
            code="use_login_page",
        )
