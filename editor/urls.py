from django.urls import path

from editor import views

app_name = "editor"

urlpatterns = [
    path("<uuid:score_id>/", views.score_detail, name="score_detail"),
]
