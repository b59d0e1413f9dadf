from django.urls import path

from kpis import forward_views, views

urlpatterns = [
    path("scorecard/", views.my_scorecard, name="my-scorecard"),
    path("scorecard/<int:user_id>/", views.scorecard, name="scorecard"),
    path("scorecard/<int:user_id>/explain/<str:metric>/", views.explain, name="explain"),
    path("expected-results/", views.expected_method, name="expected-method"),
    path("scorecard/<int:user_id>/at-risk/", forward_views.at_risk, name="at-risk"),
    path("team/", views.team_list, name="team-list"),
    path("team/<int:team_id>/", views.team_detail, name="team-detail"),
]
