from django.urls import path

from okrs import views

urlpatterns = [
    path("okrs/", views.my_okrs, name="okrs-mine"),
    path("okrs/team/<int:team_id>/", views.team_okrs, name="okrs-team"),
    path("okrs/objectives/<int:objective_id>/key-results/", views.key_result_add, name="okrs-kr-add"),
    path("okrs/objectives/<int:objective_id>/rollout/", views.rollout, name="okrs-rollout"),
    path("okrs/objectives/<int:objective_id>/final-score/", views.final_score, name="okrs-final-score"),
    path("okrs/objectives/<int:objective_id>/carry-over/", views.carry_over, name="okrs-carry-over"),
    path("okrs/key-results/<int:kr_id>/check-in/", views.check_in, name="okrs-check-in"),
    path("okrs/close/", views.close_quarter, name="okrs-close"),
]
