from django.urls import path

from kpis import views

urlpatterns = [
    path("scorecard/", views.my_scorecard, name="my-scorecard"),
    path("scorecard/<int:user_id>/", views.scorecard, name="scorecard"),
    path("scorecard/<int:user_id>/explain/<str:metric>/", views.explain, name="explain"),
    path("expected-results/", views.expected_method, name="expected-method"),
    path("team/", views.team_list, name="team-list"),
    path("team/<int:team_id>/", views.team_detail, name="team-detail"),
]
