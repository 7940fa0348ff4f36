"""Who may open what: every URL of the site, the progress WebSocket and the media files,
walked as six people.

The URL list comes from the resolver, so a URL added anywhere later must be listed
in ROUTES below (with the answer each person should get) or the walk fails.

Roles: anonymous; the owner of the score (also the class's teacher); another
logged-in user; a student of the class the score is shared with; a holder of a
live share link (not logged in); staff (a superuser).
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts import services as accounts_services
from tests.factories import make_score, make_user
from transcription.models import Stem

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "owner", "other", "student", "link", "staff")

OK, LOGIN, ADMIN_LOGIN, NOT_FOUND, FORBIDDEN = "200", "302 login", "302 admin login", "404", "403"
# A POST the person may make: it reached the view (200, a redirect that is not to a login
# page, or the view's own 400/422 for the empty data sent).
DONE = "done"


def each(anonymous, owner, other, student, link, staff) -> dict[str, str]:
    return dict(zip(ROLES, (anonymous, owner, other, student, link, staff)))


PUBLIC = each(OK, OK, OK, OK, OK, OK)
PUBLIC_OR_HOME = each(OK, DONE, DONE, DONE, OK, DONE)  # logged-in people are sent on
LOGGED_IN = each(LOGIN, OK, OK, OK, LOGIN, OK)
LOGGED_IN_POST = each(LOGIN, DONE, DONE, DONE, LOGIN, DONE)
OWNER_ONLY = each(LOGIN, OK, NOT_FOUND, NOT_FOUND, LOGIN, NOT_FOUND)
OWNER_ONLY_POST = each(LOGIN, DONE, NOT_FOUND, NOT_FOUND, LOGIN, NOT_FOUND)
VIEWERS = each(LOGIN, OK, NOT_FOUND, OK, LOGIN, NOT_FOUND)  # owner, and students it is shared with
VIEWERS_POST = each(LOGIN, DONE, NOT_FOUND, DONE, LOGIN, NOT_FOUND)
TEACHER_ONLY = OWNER_ONLY
LINK_HOLDER = each(NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, NOT_FOUND)  # only a live token opens it

# name → (method, expected answer per role, POST data)
ROUTES: dict[str, tuple[str, dict[str, str], dict]] = {
    "home": ("GET", PUBLIC_OR_HOME, {}),
    "sign_up": ("GET", PUBLIC_OR_HOME, {}),
    "login": ("GET", PUBLIC_OR_HOME, {}),
    "logout": ("POST", each(DONE, DONE, DONE, DONE, DONE, DONE), {}),
    "password_change": ("GET", LOGGED_IN, {}),
    "password_change_done": ("GET", LOGGED_IN, {}),
    "password_reset": ("GET", PUBLIC, {}),
    "password_reset_done": ("GET", PUBLIC, {}),
    "password_reset_confirm": ("GET", PUBLIC, {}),  # a made-up token: "invalid link" page
    "password_reset_complete": ("GET", PUBLIC, {}),
    "profile": ("GET", LOGGED_IN, {}),
    "class_list": ("GET", LOGGED_IN, {}),
    "class_join": ("POST", LOGGED_IN_POST, {"join_code": "NOPE"}),
    "class_join_link": ("GET", LOGGED_IN, {}),
    "class_detail": ("GET", TEACHER_ONLY, {}),
    "class_remove_student": ("POST", OWNER_ONLY_POST, {}),
    "class_delete": ("POST", OWNER_ONLY_POST, {}),
    "class_leave": ("POST", LOGGED_IN_POST, {}),  # leaves only one's own membership
    "shared_with_me": ("GET", LOGGED_IN, {}),
    "shared_open": ("GET", each(LOGIN, DONE, NOT_FOUND, DONE, LOGIN, NOT_FOUND), {}),
    "score_copy": ("POST", VIEWERS_POST, {}),
    "score_share": ("GET", OWNER_ONLY, {}),
    "score_unshare": ("POST", OWNER_ONLY_POST, {}),
    "share_link_create": ("POST", OWNER_ONLY_POST, {}),
    "share_link_revoke": ("POST", OWNER_ONLY_POST, {}),
    "share_link": ("GET", LINK_HOLDER, {}),
    "share_link_download": ("GET", LINK_HOLDER, {}),
    "share_link_state": ("GET", LINK_HOLDER, {}),  # the page's tab switches
    "share_link_recording": ("GET", LINK_HOLDER, {}),  # the player's recording
    "share_link_stem": ("GET", LINK_HOLDER, {}),
    "transcription:job_list": ("GET", LOGGED_IN, {}),
    "transcription:job_new": ("GET", LOGGED_IN, {}),
    "transcription:job_detail": ("GET", OWNER_ONLY, {}),
    "transcription:job_midi": ("GET", OWNER_ONLY, {}),
    "transcription:job_stem": ("GET", OWNER_ONLY, {}),
    "transcription:job_rename": ("POST", OWNER_ONLY_POST, {"title": "Renamed"}),
    "transcription:job_duplicate": ("POST", OWNER_ONLY_POST, {}),
    "transcription:job_delete": ("POST", OWNER_ONLY_POST, {}),
    "transcription:job_retry": ("POST", OWNER_ONLY_POST, {}),
    "transcription:job_cancel": ("POST", OWNER_ONLY_POST, {}),
    "editor:score_detail": ("GET", VIEWERS, {}),
    "editor:score_download": ("GET", VIEWERS, {}),
    "editor:score_recording": ("GET", VIEWERS, {}),
    "editor:score_stem": ("GET", VIEWERS, {}),
    "editor:score_print": ("GET", VIEWERS, {}),
    # Editing: the owner only; a student of the class is refused like anyone else.
    "editor:score_edit": ("POST", OWNER_ONLY_POST, {}),
    "editor:score_undo": ("POST", OWNER_ONLY_POST, {}),
    "editor:score_redo": ("POST", OWNER_ONLY_POST, {}),
    "editor:score_clipboard": ("POST", VIEWERS_POST, {}),  # copying a selection only reads
}
# The admin: staff only. Everyone else is sent to the admin's login page.
ADMIN_PUBLIC = {"admin:login"}
ADMIN_LOGOUT = "admin:logout"
ADMIN_NEEDS_PARAMETERS = {"admin:autocomplete"}  # staff without its query parameters: 403
ADMIN_JSON = {"admin:django_rq_home_json"}  # django-rq's stats for monitors: 401 without staff or its token


@dataclass
class World:
    users: dict
    score: object
    classroom: object
    share: object
    link: object
    revoked_link: object


def build_world() -> World:
    owner = make_user("owner")
    accounts_services.profile_update(user=owner, display_name="Teacher", email="", is_teacher=True, is_student=False)
    student = make_user("student")
    users = {
        "owner": owner, "other": make_user("other"), "student": student,
        "staff": get_user_model().objects.create_superuser("staff", "staff@example.org", "staff-password-123"),
    }
    score = make_score(owner, "Private piece")
    stem = Stem(job=score.job, instrument="piano")
    stem.audio.save("piano.mp3", ContentFile(b"ID3 stem"), save=False)
    stem.save()
    classroom = accounts_services.classroom_create(teacher=owner, name="Piano 1")
    accounts_services.classroom_join(student=student, join_code=classroom.join_code)
    accounts_services.score_share(score=score, shared_by=owner, classroom_ids=[classroom.id])
    share = classroom.shares.get()
    link = accounts_services.share_link_create(score=score, created_by=owner, expires_in_days=None)
    revoked = accounts_services.share_link_create(score=score, created_by=owner, expires_in_days=None)
    accounts_services.share_link_revoke(score=score, link_id=revoked.id)
    return World(users, score, classroom, share, link, revoked)


def all_patterns(resolvers=None, prefix="", namespace=""):
    """(name, route, pattern) for every URL the site answers, from the resolver itself."""
    for entry in (resolvers if resolvers is not None else get_resolver().url_patterns):
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from all_patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}{entry.name}" if entry.name else None), prefix + str(entry.pattern), entry


def site_names() -> list[str]:
    return sorted({name for name, _, _ in all_patterns() if name and not name.startswith("admin:")})


def admin_names() -> list[str]:
    return sorted({name for name, _, _ in all_patterns() if name and name.startswith("admin:")})


def test_every_url_has_a_name_and_is_listed():
    unnamed = [route for name, route, _ in all_patterns() if name is None and not route.startswith("admin/")]
    assert unnamed == [], f"give these URLs a name so the access walk can check them: {unnamed}"
    missing = [name for name in site_names() if name not in ROUTES]
    assert missing == [], f"add these URLs to ROUTES in tests/test_access_control.py: {missing}"


def url_for(name: str, world: World, role: str) -> str:
    pattern = next(p for n, _, p in all_patterns() if n == name)
    kwargs = {}
    for key in pattern.pattern.converters:
        kwargs[key] = {
            "job_id": world.score.job_id, "score_id": world.score.id, "instrument": "piano", "format": "midi",
            "class_id": world.classroom.id, "student_id": world.users["student"].id, "share_id": world.share.id,
            "link_id": world.link.id, "join_code": world.classroom.join_code,
            # Only the link holder has a live token; everyone else tries a revoked one.
            "token": world.link.token if role == "link" else world.revoked_link.token,
            "uidb64": "MQ", "app_label": "transcription",
        }[key]
    if name == "password_reset_confirm":
        kwargs["token"] = "made-up-token"
    return reverse(name, kwargs=kwargs)


def client_as(role: str, world: World) -> Client:
    client = Client()
    if role in world.users:
        client.force_login(world.users[role])
    return client


def check(response, expected: str, where: str) -> None:
    location = response.get("Location", "")
    if expected == OK:
        assert response.status_code == 200, where
    elif expected == LOGIN:
        assert response.status_code == 302 and location.startswith(reverse("login")), where
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302 and location.startswith(reverse("admin:login")), where
    elif expected == DONE:
        assert response.status_code in (200, 204, 302, 400, 422), where
        assert not location.startswith((reverse("login"), reverse("admin:login"))), where
    else:
        assert response.status_code == int(expected), where


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_url_answers_each_person_as_expected(name):
    if name not in site_names():
        pytest.skip(f"{name} is not part of the site (yet)")
    method, expected, data = ROUTES[name]
    for role in ROLES:
        with transaction.atomic():  # every person meets the same untouched world
            world = build_world()
            url = url_for(name, world, role)
            client = client_as(role, world)
            response = client.post(url, data) if method == "POST" else client.get(url)
            check(response, expected[role], f"{method} {url} as {role}: {response.status_code} "
                                            f"{response.get('Location', '')}")
            transaction.set_rollback(True)


def admin_url(name: str, world: World) -> str | None:
    pattern = next(p for n, _, p in all_patterns() if n == name)
    keys = set(pattern.pattern.converters) | set(pattern.pattern.regex.groupindex)
    if not keys:
        return reverse(name)
    if keys == {"app_label"}:
        return reverse(name, kwargs={"app_label": "transcription"})
    if keys == {"queue_index"}:  # django-rq's queue pages
        return reverse(name, kwargs={"queue_index": 0})
    if "object_id" in keys or "id" in keys:
        # admin:<app>_<model>_<view>: open it on a real row of that model.
        app_model = name.split(":", 1)[1].rsplit("_", 1)[0]
        from django.apps import apps

        for model in apps.get_models():
            if f"{model._meta.app_label}_{model._meta.model_name}" == app_model:
                if not model._meta.managed:
                    return None  # a table-less admin entry (django-rq's dashboard): its list page is checked
                row = model._default_manager.first()
                if row is None:
                    return None
                key = "id" if "id" in keys else "object_id"
                return reverse(name, kwargs={key: row.pk})
    return None  # view_on_site and the like: reached through the pages above


def admin_add_refused() -> set[str]:
    """Add pages of models the admin lets nobody add by hand (login attempts): 403 even for staff."""
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = get_user_model()(is_staff=True, is_superuser=True, is_active=True)
    return {
        f"admin:{model._meta.app_label}_{model._meta.model_name}_add"
        for model, model_admin in admin.site._registry.items() if not model_admin.has_add_permission(request)
    }


def test_admin_is_staff_only():
    world = build_world()
    checked = 0
    for name in admin_names():
        url = admin_url(name, world)
        if url is None or name == ADMIN_LOGOUT:
            continue
        for role in ROLES:
            response = client_as(role, world).get(url)
            where = f"GET {url} as {role}: {response.status_code}"
            if name in ADMIN_PUBLIC:
                assert response.status_code in (200, 302), where
            elif role == "staff" and (name in ADMIN_NEEDS_PARAMETERS or name in admin_add_refused()):
                assert response.status_code == 403, where
            elif role == "staff":
                assert response.status_code in (200, 302) and "/admin/login/" not in response.get("Location", ""), where
            elif name in ADMIN_JSON:
                assert response.status_code == 401, where
            else:
                check(response, ADMIN_LOGIN, where)
        checked += 1
    assert checked > 30  # every model's list, add, change, delete and history pages


def test_media_files_are_never_served_as_public_urls():
    world = build_world()
    files = [world.score.job.audio.name, world.score.midi.name, world.score.job.stems.get().audio.name]
    for name in files:
        for prefix in {settings.MEDIA_URL or "/media/", "/media/", "/"}:
            url = "/" + f"{prefix.strip('/')}/{name}".lstrip("/")
            for role in ROLES:
                response = client_as(role, world).get(url)
                assert response.status_code == 404, f"{url} as {role}"
    media_routes = [route for _, route, _ in all_patterns() if route.startswith(("media", "jobs/media"))]
    assert media_routes == []


@pytest.mark.django_db(transaction=True)
async def test_progress_websocket_only_for_the_owner(redis_server):
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator

    from rescored_site.asgi import application

    world = await sync_to_async(build_world)()
    for role in ROLES:
        communicator = WebsocketCommunicator(application, f"/ws/jobs/{world.score.job_id}/",
                                             headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")])
        if role in world.users:
            communicator.scope["user"] = world.users[role]
        connected, _ = await communicator.connect()
        assert connected == (role == "owner"), role
        await communicator.disconnect()
