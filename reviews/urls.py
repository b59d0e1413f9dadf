from django.urls import path

from reviews.cycles import views as cycle_views
from reviews.input import views as input_views
from reviews.notes import views as note_views
from reviews.writing import views

urlpatterns = [
    path("reviews/", views.review_list, name="review-list"),
    path("reviews/<int:review_id>/", views.review_detail, name="review-detail"),
    path("reviews/<int:review_id>/save/", views.review_save, name="review-save"),
    path("reviews/<int:review_id>/refresh/", views.review_refresh, name="review-refresh"),
    path("reviews/<int:review_id>/step/<str:action>/", views.review_transition, name="review-transition"),
    path("reviews/<int:review_id>/disputes/", views.dispute_raise, name="review-dispute"),
    path(
        "reviews/<int:review_id>/disputes/<int:dispute_id>/answer/",
        views.dispute_answer,
        name="review-dispute-answer",
    ),
    path(
        "reviews/<int:review_id>/disputes/<int:dispute_id>/<str:how>/",
        views.dispute_close,
        name="review-dispute-close",
    ),
    path("reviews/<int:review_id>/comments/", views.comment_add, name="review-comment"),
    path("reviews/<int:review_id>/input/", input_views.review_input_request, name="review-input-request"),
    path("input/", input_views.input_list, name="input-list"),
    path("input/<int:request_id>/", input_views.input_detail, name="input-detail"),
    path("input/<int:request_id>/decline/", input_views.input_decline, name="input-decline"),
    path("reviews/<int:review_id>/history/", views.review_history, name="review-history"),
    path("reviews/<int:review_id>/pdf/", views.review_pdf_view, name="review-pdf"),
    path("feedback/", note_views.note_list, name="feedback-list"),
    path("feedback/<int:note_id>/", note_views.note_edit, name="feedback-edit"),
    path("feedback/<int:note_id>/delete/", note_views.note_delete, name="feedback-delete"),
    path("feedback/<int:note_id>/history/", note_views.note_history, name="feedback-history"),
    path("cycles/", cycle_views.cycle_list, name="cycle-list"),
    path("cycles/<int:cycle_id>/", cycle_views.cycle_detail, name="cycle-detail"),
    path("cycles/<int:cycle_id>/calibration/", cycle_views.calibration, name="cycle-calibration"),
    path(
        "cycles/<int:cycle_id>/calibration/<int:review_id>/<str:action>/",
        cycle_views.calibration_action,
        name="cycle-calibration-action",
    ),
    path("cycles/<int:cycle_id>/summary.pdf", cycle_views.cycle_summary_pdf, name="cycle-summary-pdf"),
    # Per review, from the cycle page: change its reviewer, remind whoever it waits on.
    path(
        "cycles/<int:cycle_id>/reviews/<int:review_id>/<str:action>/",
        cycle_views.cycle_review_action,
        name="cycle-review-action",
    ),
    path("cycles/<int:cycle_id>/exports/<int:export_id>/", cycle_views.export_status, name="cycle-export"),
    path(
        "cycles/<int:cycle_id>/exports/<int:export_id>/retry/",
        cycle_views.export_retry,
        name="cycle-export-retry",
    ),
    path("cycles/<int:cycle_id>/ask-input/", cycle_views.cycle_ask_input, name="cycle-ask-input"),
    path("cycles/<int:cycle_id>/<str:action>/", cycle_views.cycle_action, name="cycle-action"),
]
