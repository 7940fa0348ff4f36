from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors, services
from accounts.forms import ClassroomForm, JoinForm, ProfileForm, ShareForm, ShareLinkForm, SignUpForm
from accounts.models import Membership
from accounts.services import AccountsError
from editor import services as editor_services
from editor import views as editor_views
from editor.exports import FORMATS, score_export
from editor.selectors import score_get_for_editing, score_get_for_viewing
from transcription.errors import JobError


@require_http_methods(["GET", "POST"])
def sign_up(request):
    if request.user.is_authenticated:
        return redirect("transcription:job_new")
    form = SignUpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = services.user_sign_up(
            username=form.cleaned_data["username"], password=form.cleaned_data["password1"],
            email=form.cleaned_data.get("email", ""),
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(request.POST.get("next") or "transcription:job_new")
    return render(request, "accounts/sign_up.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    current = services.profile_ensure(user=request.user)
    initial = {"display_name": current.display_name, "email": request.user.email,
               "is_teacher": current.is_teacher, "is_student": current.is_student}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.profile_update(user=request.user, **form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form, "profile": current},
                  status=400 if form.errors else 200)


# ---------------------------------------------------------------- classes


@login_required
@require_http_methods(["GET", "POST"])
def class_list(request):
    profile = services.profile_ensure(user=request.user)
    form = ClassroomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            classroom = services.classroom_create(teacher=request.user, name=form.cleaned_data["name"])
        except AccountsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Class “{classroom.name}” created. Give your students its code or link.")
            return redirect(classroom)
    context = {
        "form": form, "profile": profile, "join_form": JoinForm(),
        "taught": selectors.classroom_list_taught(teacher=request.user),
        "joined": selectors.classroom_list_joined(student=request.user),
    }
    return render(request, "accounts/class_list.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def class_detail(request, class_id):
    classroom = selectors.classroom_get_taught(teacher=request.user, classroom_id=class_id)
    memberships = Membership.objects.filter(classroom=classroom).select_related("student__profile")
    join_url = request.build_absolute_uri(classroom.get_join_url())
    shares = classroom.shares.select_related("score")
    return render(request, "accounts/class_detail.html",
                  {"classroom": classroom, "memberships": memberships, "join_url": join_url, "shares": shares})


@login_required
@require_POST
def class_remove_student(request, class_id, student_id):
    classroom = selectors.classroom_get_taught(teacher=request.user, classroom_id=class_id)
    services.classroom_remove_student(classroom=classroom, student_id=student_id)
    messages.success(request, "Student removed from the class.")
    return redirect(classroom)


@login_required
@require_POST
def class_delete(request, class_id):
    classroom = selectors.classroom_get_taught(teacher=request.user, classroom_id=class_id)
    name = classroom.name
    services.classroom_delete(classroom=classroom)
    messages.success(request, f"Class “{name}” deleted.")
    return redirect("class_list")


@login_required
@require_POST
def class_leave(request, class_id):
    services.classroom_leave(student=request.user, classroom_id=class_id)
    messages.success(request, "You left the class.")
    return redirect("class_list")


@login_required
@require_POST
def class_join(request):
    form = JoinForm(request.POST)
    if form.is_valid():
        try:
            classroom = services.classroom_join(student=request.user, join_code=form.cleaned_data["join_code"])
        except AccountsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"You joined “{classroom.name}”.")
            return redirect("shared_with_me")
    else:
        messages.error(request, "Please type the class's join code.")
    return redirect("class_list")


@login_required
@require_http_methods(["GET", "POST"])
def class_join_link(request, join_code):
    """The link a teacher hands out: it asks the student to confirm, then joins them."""
    classroom = selectors.classroom_get_by_code(join_code=join_code)
    if request.method == "POST":
        try:
            services.classroom_join(student=request.user, join_code=join_code)
        except AccountsError as exc:
            messages.error(request, str(exc))
            return redirect("class_list")
        messages.success(request, f"You joined “{classroom.name}”.")
        return redirect("shared_with_me")
    already = classroom.memberships.filter(student=request.user).exists()
    return render(request, "accounts/class_join.html", {"classroom": classroom, "already": already})


# ---------------------------------------------------------------- sharing


@login_required
@require_GET
def shared_with_me(request):
    scores = selectors.score_list_shared_with(user=request.user)
    return render(request, "accounts/shared_with_me.html", {"scores": scores})


@login_required
@require_GET
def shared_open(request, score_id):
    """Open a score shared with me: the teacher sees that I did, then the score page shows it."""
    score = score_get_for_viewing(user=request.user, score_id=score_id)
    services.score_record_opening(score=score, user=request.user)
    return redirect("editor:score_detail", score_id=score.id)


@login_required
@require_POST
def score_copy(request, score_id):
    """Make my own copy of a score I may view; the copy is mine to edit, the original is untouched."""
    score = score_get_for_viewing(user=request.user, score_id=score_id)
    try:
        job = services.score_copy_for(score=score, user=request.user)
    except JobError as exc:
        messages.error(request, str(exc))
        return redirect("editor:score_detail", score_id=score.id)
    messages.success(request, f"“{job.title}” is now yours to edit.")
    return redirect("editor:score_detail", score_id=job.score.id)


def _share_page(request, score, *, form=None, link_form=None, status=200):
    teacher = request.user
    context = {
        "score": score, "job": score.job,
        "form": form or ShareForm(classrooms=selectors.classroom_list_taught(teacher=teacher),
                                  students=selectors.students_of(teacher=teacher)),
        "link_form": link_form or ShareLinkForm(),
        "shares": selectors.score_shares(score=score),
        "openings": selectors.score_openings(score=score),
        "links": selectors.share_link_list(score=score),
        "has_classes": selectors.classroom_list_taught(teacher=teacher).exists(),
    }
    return render(request, "accounts/score_share.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def score_share(request, score_id):
    score = score_get_for_editing(user=request.user, score_id=score_id)
    if request.method == "GET":
        return _share_page(request, score)
    form = ShareForm(request.POST, classrooms=selectors.classroom_list_taught(teacher=request.user),
                     students=selectors.students_of(teacher=request.user))
    if form.is_valid():
        try:
            count = services.score_share(score=score, shared_by=request.user,
                                         classroom_ids=form.cleaned_data["classrooms"],
                                         student_ids=form.cleaned_data["students"])
        except AccountsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Shared." if count else "It was already shared with them.")
            return redirect("score_share", score_id=score.id)
    return _share_page(request, score, form=form, status=400)


@login_required
@require_POST
def score_unshare(request, score_id, share_id):
    score = score_get_for_editing(user=request.user, score_id=score_id)
    services.score_unshare(score=score, share_id=share_id)
    messages.success(request, "No longer shared with them.")
    return redirect("score_share", score_id=score.id)


@login_required
@require_POST
def share_link_create(request, score_id):
    score = score_get_for_editing(user=request.user, score_id=score_id)
    form = ShareLinkForm(request.POST)
    if not form.is_valid():
        return _share_page(request, score, link_form=form, status=400)
    services.share_link_create(score=score, created_by=request.user,
                               expires_in_days=form.cleaned_data["expires_in_days"])
    messages.success(request, "Link made: anyone who has it can view, play and export this score.")
    return redirect("score_share", score_id=score.id)


@login_required
@require_POST
def share_link_revoke(request, score_id, link_id):
    score = score_get_for_editing(user=request.user, score_id=score_id)
    services.share_link_revoke(score=score, link_id=link_id)
    messages.success(request, "Link revoked: it no longer opens the score.")
    return redirect("score_share", score_id=score.id)


# ---------------------------------------------------------------- share links (no login)


@require_GET
def share_link(request, token):
    link = selectors.share_link_get_active(token=token)
    score = link.score
    # The editor's own page in its read-only mode, with the state its script draws from.
    context = {"score": score, "job": score.job, "can_edit": False, "share_token": link.token}
    context.update(editor_views.state_context(editor_services.score_edit_state(score_id=score.id),
                                              request.GET.get("part", "")))
    return render(request, "editor/score_detail.html", context)


# What the share-link page fetches after it loads (tab switches, the player's recordings):
# the score views' own answers, behind the token instead of a login.


@require_GET
def share_link_state(request, token):
    return editor_views.score_state_response(request, selectors.share_link_get_active(token=token).score)


@require_GET
def share_link_recording(request, token):
    return editor_views.score_recording_response(request, selectors.share_link_get_active(token=token).score)


@require_GET
def share_link_stem(request, token, instrument):
    return editor_views.score_stem_response(request, selectors.share_link_get_active(token=token).score, instrument)


@require_GET
def share_link_download(request, token, format):
    if format not in FORMATS:
        raise Http404("No such format")
    score = selectors.share_link_get_active(token=token).score
    export = score_export(score=score, format=format)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{score.title}.{export.extension}"'
    return response
