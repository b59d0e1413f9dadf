from django.urls import path

from devtools import views

urlpatterns = [
    # Only in the local setup (the catcher's folder set): 404 anywhere else.
    path("notifications/caught-mail/", views.caught_list, name="caught-mail"),
    path("notifications/caught-mail/<str:name>/", views.caught_detail, name="caught-mail-detail"),
]
