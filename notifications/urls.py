from django.urls import path

from notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="notification-open"),
    path("notifications/read/", views.notification_read, name="notification-read"),
    path("notifications/preferences/", views.preferences, name="notification-preferences"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="notification-unsubscribe"),
    # Only in the local setup (DEBUG and the catcher's folder set): 404 anywhere else.
    path("notifications/caught-mail/", views.caught_list, name="caught-mail"),
    path("notifications/caught-mail/<str:name>/", views.caught_detail, name="caught-mail-detail"),
]
