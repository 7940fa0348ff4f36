from django.urls import path

from editor import views

app_name = "editor"

urlpatterns = [
    path("<uuid:score_id>/", views.score_detail, name="score_detail"),
    path("<uuid:score_id>/edit/", views.score_edit, name="score_edit"),
    path("<uuid:score_id>/undo/", views.score_undo, name="score_undo"),
    path("<uuid:score_id>/redo/", views.score_redo, name="score_redo"),
    path("<uuid:score_id>/clipboard/", views.score_clipboard, name="score_clipboard"),
    path("<uuid:score_id>/download/<slug:format>/", views.score_download, name="score_download"),
    path("<uuid:score_id>/recording/", views.score_recording, name="score_recording"),
    path("<uuid:score_id>/stems/<slug:instrument>/", views.score_stem, name="score_stem"),
    path("<uuid:score_id>/print/", views.score_print, name="score_print"),
]
