from django.contrib import admin

from transcription.models import Job, Score, Stem


class StemInline(admin.TabularInline):
    model = Stem
    extra = 0
    readonly_fields = ["instrument", "audio", "created_at"]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "source", "status", "stage", "percent", "audio_duration", "created_at"]
    list_filter = ["status", "source", "separate", "created_at"]
    inlines = [StemInline]
    search_fields = ["title", "owner__username", "error"]
    readonly_fields = ["id", "rq_job_id", "stage_timings", "started_at", "finished_at", "heartbeat_at", "created_at"]


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ["title", "job", "version", "created_at"]
    search_fields = ["title", "job__owner__username"]
    readonly_fields = ["id", "job", "created_at", "updated_at"]
