from django.apps import apps
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

# The admin (CS ops' KPI runs, imports, people) names the product, not the framework.
admin.site.site_header = _("CSM reviews & OKRs: administration")
admin.site.site_title = _("CSM reviews & OKRs")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
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
