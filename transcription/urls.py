from django.urls import path

from transcription import views

app_name = "transcription"

urlpatterns = [
    path("", views.job_list, name="job_list"),
    path("new/", views.job_new, name="job_new"),
    path("<uuid:job_id>/", views.job_detail, name="job_detail"),
    path("<uuid:job_id>/score.mid", views.job_midi, name="job_midi"),
    path("<uuid:job_id>/stems/<slug:instrument>/", views.job_stem, name="job_stem"),
    path("<uuid:job_id>/rename/", views.job_rename, name="job_rename"),
    path("<uuid:job_id>/duplicate/", views.job_duplicate, name="job_duplicate"),
    path("<uuid:job_id>/delete/", views.job_delete, name="job_delete"),
    path("<uuid:job_id>/retry/", views.job_retry, name="job_retry"),
    path("<uuid:job_id>/cancel/", views.job_cancel, name="job_cancel"),
]
