from django.contrib import admin, messages
from django.utils.html import format_html_join

from transcription import services
from transcription.errors import JobError
from transcription.models import Job, Score, Stem


class StemInline(admin.TabularInline):
    model = Stem
    extra = 0
    readonly_fields = ["instrument", "audio", "created_at"]


def _each(modeladmin, request, queryset, action, done: str):
    count = 0
    for job in queryset:
        try:
            action(job_id=job.id)
        except JobError as exc:
            modeladmin.message_user(request, f"{job.title}: {exc}", messages.WARNING)
        else:
            count += 1
    if count:
        modeladmin.message_user(request, f"{done} {count} job{'s' if count != 1 else ''}.", messages.SUCCESS)


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "source", "status", "stage", "percent", "duration", "timings",
                    "short_error", "created_at"]
    list_filter = ["status", "source", "separate", "created_at", ("copied_from", admin.EmptyFieldListFilter)]
    list_select_related = ["owner"]
    inlines = [StemInline]
    search_fields = ["title", "owner__username", "owner__email", "error", "source_url"]
    # A job's state moves only through the actions below (and the workers), which keep
    # it whole: a status typed in by hand could say "done" for a job with no score.
    readonly_fields = ["id", "rq_job_id", "status", "stage", "percent", "error", "stage_timings", "started_at",
                       "finished_at", "heartbeat_at", "created_at", "copied_from"]
    date_hierarchy = "created_at"
    actions = ["retry", "cancel", "purge_files"]

    @admin.display(description="audio", ordering="audio_duration")
    def duration(self, job: Job) -> str:
        return f"{job.audio_duration:.0f} s" if job.audio_duration else "–"

    @admin.display(description="stage timings")
    def timings(self, job: Job) -> str:
        return format_html_join(", ", "{} {}s", ((stage, f"{s:.1f}") for stage, s in job.stage_timings_in_order)) or "–"

    @admin.display(description="error")
    def short_error(self, job: Job) -> str:
        return (job.error[:80] + "…") if len(job.error) > 80 else job.error

    @admin.action(description="Retry the selected failed or cancelled jobs")
    def retry(self, request, queryset):
        _each(self, request, queryset, services.job_retry, "Queued again")

    @admin.action(description="Cancel the selected queued or running jobs")
    def cancel(self, request, queryset):
        _each(self, request, queryset, services.job_cancel, "Cancelled")

    @admin.action(description="Purge files (recording and stems; the score stays)")
    def purge_files(self, request, queryset):
        removed = sum(services.job_purge_files(job_id=job.id) for job in queryset)
        self.message_user(request, f"Removed {removed} file{'s' if removed != 1 else ''}.", messages.SUCCESS)


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "job_status", "version", "created_at", "updated_at"]
    list_select_related = ["job__owner"]
    list_filter = ["created_at"]
    search_fields = ["title", "job__owner__username", "job__title"]
    readonly_fields = ["id", "job", "created_at", "updated_at"]
    exclude = ["notes", "doc"]  # large JSON; the score page shows them

    @admin.display(ordering="job__owner__username")
    def owner(self, score: Score):
        return score.job.owner

    @admin.display(description="job status", ordering="job__status")
    def job_status(self, score: Score) -> str:
        return score.job.get_status_display()
