"""The provider behaves, except for the people the tests name to make it misbehave."""

from allauth.idp.oidc.adapter import DefaultOIDCAdapter


class MisbehavingOnRequestAdapter(DefaultOIDCAdapter):
    def populate_id_token(self, id_token, client, scopes, **kwargs) -> None:
        # An ID token meant for another application: the relying party must refuse it.
        if str(id_token.get("email", "")).startswith("wrong-audience"):
            id_token["aud"] = "another-application"

    def get_claims(self, purpose, user, client, scopes, email=None, **kwargs):
        claims = super().get_claims(purpose, user, client, scopes, email=email, **kwargs)
        # Directories keep the letter case people typed: the product matches emails in any case.
        if claims.get("email") == "csm.a@example.com":
            claims["email"] = "CSM.A@Example.COM"
        return claims
