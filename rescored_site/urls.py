from django.contrib import admin
from django.urls import include, path

from accounts.urls import share_link_urlpatterns
from transcription import views as transcription_views

urlpatterns = [
    path("", transcription_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("jobs/", include("transcription.urls")),
    path("scores/", include("editor.urls")),
    path("s/", include(share_link_urlpatterns)),  # share links: read-only, no login
    path("admin/", admin.site.urls),
]
