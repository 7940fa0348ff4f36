from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count

from accounts.models import Classroom, Membership, Profile, ScoreOpening, ScoreShare, ShareLink

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    extra = 0


admin.site.unregister(User)


@admin.register(User)
class RescoredUserAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "email", "display_name", "is_teacher", "is_student", "job_count", "is_staff",
                    "is_active", "last_login", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "profile__is_teacher", "profile__is_student"]
    search_fields = ["username", "email", "profile__display_name"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("profile").annotate(job_total=Count("jobs"))

    @admin.display(ordering="profile__display_name")
    def display_name(self, user):
        return getattr(getattr(user, "profile", None), "display_name", "")

    @admin.display(boolean=True, description="teacher")
    def is_teacher(self, user):
        return getattr(getattr(user, "profile", None), "is_teacher", False)

    @admin.display(boolean=True, description="student")
    def is_student(self, user):
        return getattr(getattr(user, "profile", None), "is_student", False)

    @admin.display(description="jobs", ordering="job_total")
    def job_count(self, user):
        return user.job_total


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["student"]


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ["name", "teacher", "join_code", "student_count", "created_at"]
    list_select_related = ["teacher"]
    search_fields = ["name", "teacher__username", "join_code"]
    list_filter = ["created_at"]
    inlines = [MembershipInline]
    autocomplete_fields = ["teacher"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(students_total=Count("memberships"))

    @admin.display(description="students", ordering="students_total")
    def student_count(self, classroom):
        return classroom.students_total


@admin.register(ScoreShare)
class ScoreShareAdmin(admin.ModelAdmin):
    list_display = ["score", "shared_by", "classroom", "student", "created_at"]
    list_select_related = ["score", "shared_by", "classroom", "student"]
    search_fields = ["score__title", "shared_by__username", "student__username", "classroom__name"]
    list_filter = ["created_at"]
    raw_id_fields = ["score", "shared_by", "classroom", "student"]


@admin.register(ScoreOpening)
class ScoreOpeningAdmin(admin.ModelAdmin):
    list_display = ["score", "user", "times", "last_opened_at"]
    list_select_related = ["score", "user"]
    search_fields = ["score__title", "user__username"]
    raw_id_fields = ["score", "user"]


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ["score", "created_by", "active", "expires_at", "revoked_at", "created_at"]
    list_select_related = ["score", "created_by"]
    list_filter = ["revoked_at", "expires_at"]
    search_fields = ["score__title", "created_by__username"]
    readonly_fields = ["token"]
    raw_id_fields = ["score", "created_by"]

    @admin.display(boolean=True)
    def active(self, link):
        return link.is_active
