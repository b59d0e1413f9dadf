from django.urls import path

from notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="notification-open"),
    path("notifications/read/", views.notification_read, name="notification-read"),
    path("notifications/preferences/", views.preferences, name="notification-preferences"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="notification-unsubscribe"),
]
