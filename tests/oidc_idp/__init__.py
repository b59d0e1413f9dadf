"""A real OpenID Connect identity provider for the SSO tests: allauth's own provider (allauth.idp.oidc),
none of the product's code, in a second Django process on loopback with its own SQLite database.
tests/accounts/oidc_provider.py starts it."""
