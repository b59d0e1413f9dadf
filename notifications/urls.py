from django.urls import path

from notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="notification-open"),
    path("notifications/read/", views.notification_read, name="notification-read"),
    path("notifications/preferences/", views.preferences, name="notification-preferences"),
    path("preferences/api-tokens/", views.api_token_create, name="api-token-create"),
    path("preferences/api-tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api-token-revoke"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="notification-unsubscribe"),
]
