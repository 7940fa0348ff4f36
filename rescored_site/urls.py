from django.contrib import admin
from django.urls import include, path

from transcription import views as transcription_views

urlpatterns = [
    path("", transcription_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("jobs/", include("transcription.urls")),
    path("scores/", include("editor.urls")),
    path("admin/", admin.site.urls),
]
