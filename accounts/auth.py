"""Login helpers."""

from axes.models import AccessAttempt

from accounts.models import normalize_email

# What django-axes' attempt record holds of a username; no account's email is longer (254).
AXES_USERNAME_MAX = AccessAttempt._meta.get_field("username").max_length


def axes_username(request, credentials) -> str:
    """The email a login attempt is counted against (django-axes), in the stored letter case, cut to
    what axes stores: a longer one (no account has it) made saving the attempt fail with a 500, on
    the login page and the admin's alike; cut, it is still counted and locked out like any other.
    A form without the email (reauthentication) counts against the signed-in person."""
    credentials = credentials or {}
    email = credentials.get("username") or request.POST.get("username", "")
    if not email:
        # allauth's "Confirm it is you" posts only a password and passes the signed-in person's
        # email: counted against them, or every person behind one office address would share (and
        # lock) one empty name.
        user = getattr(request, "user", None)
        email = str(credentials.get("email") or getattr(user, "email", "") or "")
    return normalize_email(email)[:AXES_USERNAME_MAX]
