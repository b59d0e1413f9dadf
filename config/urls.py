from django.apps import apps
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.saml import LoginView, finish_acs

# The admin (CS ops' KPI runs, imports, people) names the product, not the framework.
admin.site.site_header = _("CSM reviews & OKRs: administration")
admin.site.site_title = _("CSM reviews & OKRs")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Single sign-on (django-allauth): only the SAML provider's addresses (/accounts/saml/<slug>/login/,
    # acs/, metadata/, sls/); allauth's own account pages (sign-up, email, password) are not served.
    # Its last step refuses an answer that is not XML instead of failing with a 500 (accounts/sso.py).
    path("accounts/saml/<str:organization_slug>/acs/finish/", finish_acs, name="saml_finish_acs"),
    path("accounts/", include("allauth.socialaccount.providers.saml.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("web.urls")),
    path("", include("datain.urls")),
    path("", include("kpis.urls")),
    path("", include("okrs.urls")),
    path("", include("reviews.urls")),
    path("", include("notifications.urls")),
    path("api/v1/", include("config.api_urls")),
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
