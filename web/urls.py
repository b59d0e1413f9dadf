from django.urls import path

from web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/<int:account_id>/", views.account_detail, name="account-detail"),
]
