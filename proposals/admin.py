from django.contrib import admin

from proposals.models import DesignPage, Proposal


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ["__str__", "team", "status", "due_at"]
    list_filter = ["status"]
    search_fields = ["title"]


@admin.register(DesignPage)
class DesignPageAdmin(admin.ModelAdmin):
    list_display = ["title", "team", "status"]
    list_filter = ["status"]
