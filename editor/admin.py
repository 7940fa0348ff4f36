from django.contrib import admin

from editor.models import Revision, ScoreHistory


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ("score", "number", "op", "parent_number", "author", "packed_kb", "created_at")
    list_filter = ("op", "created_at")
    search_fields = ("score__title", "score__id", "author__username")
    list_select_related = ("score", "parent", "author")
    readonly_fields = ("score", "number", "parent", "op", "params", "author", "packed_kb", "created_at")
    exclude = ("doc_packed",)
    ordering = ("-created_at",)

    @admin.display(description="parent")
    def parent_number(self, revision: Revision):
        return revision.parent.number if revision.parent else "—"

    @admin.display(description="stored (KB)")
    def packed_kb(self, revision: Revision) -> str:
        return f"{len(revision.doc_packed) / 1024:.1f}"


@admin.register(ScoreHistory)
class ScoreHistoryAdmin(admin.ModelAdmin):
    list_display = ("score", "head_number", "last_number", "updated_at")
    search_fields = ("score__title", "score__id")
    list_select_related = ("score", "head")
    readonly_fields = ("score", "head", "last_number")

    @admin.display(description="shown revision")
    def head_number(self, history: ScoreHistory) -> int:
        return history.head.number
