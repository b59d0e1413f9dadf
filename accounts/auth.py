"""Login helpers."""

from accounts.models import normalize_email


def axes_username(request, credentials) -> str:
    """The email a login attempt is counted against (django-axes), in the stored letter case."""
    return normalize_email((credentials or {}).get("username") or request.POST.get("username", ""))
