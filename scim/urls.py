"""/scim/v2/…: the addresses RFC 7644 gives, answered without a trailing slash (and with one)."""

from django.urls import path, re_path

from scim import views

app_name = "scim"

urlpatterns = [
    path("", views.Elsewhere.as_view(), name="root"),
    re_path(r"^Users/?$", views.Users.as_view(), name="users"),
    re_path(r"^Users/(?P<pk>[^/]+)/?$", views.Users.as_view(), name="user"),
    re_path(r"^Groups/?$", views.Groups.as_view(), name="groups"),
    re_path(r"^Groups/(?P<pk>[^/]+)/?$", views.Groups.as_view(), name="group"),
    re_path(r"^ServiceProviderConfig/?$", views.ServiceProviderConfigView.as_view(), name="config"),
    re_path(r"^Schemas/?$", views.SchemasView.as_view(), name="schemas"),
    re_path(r"^Schemas/(?P<pk>[^/]+)/?$", views.SchemasView.as_view(), name="schema"),
    re_path(r"^ResourceTypes/?$", views.ResourceTypesView.as_view(), name="resource-types"),
    re_path(r"^ResourceTypes/(?P<pk>[^/]+)/?$", views.ResourceTypesView.as_view(), name="resource-type"),
    re_path(r"^(?P<rest>.*)$", views.Elsewhere.as_view(), name="elsewhere"),
]
