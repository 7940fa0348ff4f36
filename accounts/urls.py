from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    path("signup/", views.sign_up, name="sign_up"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("profile/", views.profile, name="profile"),
    path("classes/", views.class_list, name="class_list"),
    path("classes/join/", views.class_join, name="class_join"),
    path("classes/join/<str:join_code>/", views.class_join_link, name="class_join_link"),
    path("classes/<int:class_id>/", views.class_detail, name="class_detail"),
    path("classes/<int:class_id>/students/<int:student_id>/remove/", views.class_remove_student,
         name="class_remove_student"),
    path("classes/<int:class_id>/delete/", views.class_delete, name="class_delete"),
    path("classes/<int:class_id>/leave/", views.class_leave, name="class_leave"),
    path("shared/", views.shared_with_me, name="shared_with_me"),
    path("shared/<uuid:score_id>/", views.shared_open, name="shared_open"),
    path("scores/<uuid:score_id>/copy/", views.score_copy, name="score_copy"),
    path("scores/<uuid:score_id>/share/", views.score_share, name="score_share"),
    path("scores/<uuid:score_id>/share/<int:share_id>/remove/", views.score_unshare, name="score_unshare"),
    path("scores/<uuid:score_id>/links/", views.share_link_create, name="share_link_create"),
    path("scores/<uuid:score_id>/links/<int:link_id>/revoke/", views.share_link_revoke, name="share_link_revoke"),
]

# Mounted at /s/ by the site's URLconf: what a share link opens, without logging in.
share_link_urlpatterns = [
    path("<str:token>/", views.share_link, name="share_link"),
    path("<str:token>/download/<slug:format>/", views.share_link_download, name="share_link_download"),
    path("<str:token>/state/", views.share_link_state, name="share_link_state"),
    path("<str:token>/recording/", views.share_link_recording, name="share_link_recording"),
    path("<str:token>/stems/<slug:instrument>/", views.share_link_stem, name="share_link_stem"),
]
