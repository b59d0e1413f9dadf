"""Login helpers."""

from axes.models import AccessAttempt

from accounts.models import normalize_email

# What django-axes' attempt record holds of a username; no account's email is longer (254).
AXES_USERNAME_MAX = AccessAttempt._meta.get_field("username").max_length


def axes_username(request, credentials) -> str:
    """The email a login attempt is counted against (django-axes), in the stored letter case, cut to
    what axes stores: a longer one (no account has it) made saving the attempt fail with a 500, on
    the login page and the admin's alike; cut, it is still counted and locked out like any other."""
    email = normalize_email((credentials or {}).get("username") or request.POST.get("username", ""))
    return email[:AXES_USERNAME_MAX]
