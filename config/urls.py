from allauth.account import views as account_views
from allauth.socialaccount import views as socialaccount_views
from allauth.urls import build_provider_urlpatterns
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_page
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import saml

# The admin (CS ops' KPI runs, imports, people) names the product, not the framework.
admin.site.site_header = _("CSM reviews & OKRs: administration")
admin.site.site_title = _("CSM reviews & OKRs")
admin.site.index_title = _("Administration")

# The login page is allauth's (password, then two-factor; and the identity provider's button), in the
# product's look; of allauth's other pages only those of signing in and of two-factor are served.
JS_CATALOG_SECONDS = 3600
login_view = account_views.LoginView.as_view(template_name="registration/login.html")
urlpatterns = [
    path("login/", login_view, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/login/", login_view, name="account_login"),
    path("accounts/logout/", account_views.logout, name="account_logout"),
    path("accounts/inactive/", account_views.account_inactive, name="account_inactive"),
    path("accounts/reauthenticate/", account_views.reauthenticate, name="account_reauthenticate"),
    path("accounts/2fa/", include("allauth.mfa.urls")),
    path(
        "accounts/sso/cancelled/", socialaccount_views.login_cancelled, name="socialaccount_login_cancelled"
    ),
    path("accounts/sso/error/", socialaccount_views.login_error, name="socialaccount_login_error"),
    path("accounts/sso/signup/", socialaccount_views.signup, name="socialaccount_signup"),
    # /accounts/oidc/<provider id>/login/ and its callback (and SAML's, when installed).
    # SAML's first and last steps answer an unreachable provider or an answer that is not XML with the
    # failure page instead of a 500 (accounts/saml.py).
    path("accounts/saml/<str:organization_slug>/login/", saml.login, name="saml_login"),
    path("accounts/saml/<str:organization_slug>/acs/finish/", saml.finish_acs, name="saml_finish_acs"),
    path("accounts/", include(build_provider_urlpatterns())),
    path("i18n/", include("django.conf.urls.i18n")),
    # The scripts' words (static/js/*.js: gettext, ngettext, interpolate) in the active language, a
    # script file of this site (the Content-Security-Policy allows no inline script). base.html
    # asks for it with the language in the address (?l=es), so a browser keeps one per language;
    # the server keeps each language's an hour (cache_page keys on the active language).
    path(
        "jsi18n/",
        cache_page(JS_CATALOG_SECONDS, key_prefix="jsi18n")(JavaScriptCatalog.as_view()),
        name="javascript-catalog",
    ),
    path("admin/", admin.site.urls),
    path("", include("web.urls")),
    path("", include("datain.urls")),
    path("", include("kpis.urls")),
    path("", include("okrs.urls")),
    path("", include("reviews.urls")),
    path("", include("notifications.urls")),
    path("api/v1/", include("config.api_urls")),
    # Provisioning by the identity provider (SCIM 2.0): its own bearer token, no trailing slashes.
    path("scim/v2/", include("scim.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file of its own (?script): no inline
    # script under the Content-Security-Policy.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
]

# Development tools (the caught-mail page): only where the local or test settings install them.
if apps.is_installed("devtools"):
    urlpatterns.append(path("", include("devtools.urls")))
