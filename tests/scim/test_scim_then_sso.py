"""A person the identity provider creates through SCIM signs in through the same provider's SSO, and
the provider's deactivation through SCIM turns the next SSO sign-in away."""

import pytest
from allauth.core.exceptions import ImmediateHttpResponse

from accounts.models import User
from accounts.sso import SocialAccountAdapter
from tests.accounts.test_sso import _request, _sociallogin, sso  # noqa: F401  (sso is the fixture)
from tests.scim.test_provisioning import OKTA_CREATE, PATCH, Scim, _key


@pytest.mark.django_db
def test_a_person_created_by_scim_signs_in_by_sso_until_scim_deactivates_them(sso):  # noqa: F811
    scim = Scim(_key())
    created = scim.post("/scim/v2/Users", OKTA_CREATE)
    assert created.status_code == 201
    ada = User.objects.get(pk=int(created.json()["id"]))
    assert (ada.email, ada.is_active, ada.has_usable_password()) == ("ada.lovelace@example.com", True, False)

    # Okta sends the email as it spells it; the adapter finds Ada by it, in any letter case.
    sociallogin = _sociallogin("Ada.Lovelace@Example.com", uid="00ujl29u0le5T6Aj10h7")
    SocialAccountAdapter().pre_social_login(_request(), sociallogin)
    assert sociallogin.user == ada and sociallogin.is_existing

    off = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
    assert scim.patch(f"/scim/v2/Users/{ada.pk}", off).status_code == 200
    with pytest.raises(ImmediateHttpResponse) as refused:
        SocialAccountAdapter().pre_social_login(_request(), _sociallogin("ada.lovelace@example.com"))
    assert refused.value.response.status_code == 403
    assert User.objects.filter(email__iexact="ada.lovelace@example.com").count() == 1  # nobody new
