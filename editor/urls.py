from django.urls import path

from editor import views

app_name = "editor"

urlpatterns = [
    path("<uuid:score_id>/", views.score_detail, name="score_detail"),
    path("<uuid:score_id>/download/<slug:format>/", views.score_download, name="score_download"),
]
