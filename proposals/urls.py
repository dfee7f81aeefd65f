from django.urls import path

from proposals.views import action_items, decisions, pages, proposals

app_name = "proposals"

urlpatterns = [
    # DACI proposals
    path("<slug:slug>/proposals/", proposals.proposal_list, name="list"),
    path("<slug:slug>/proposals/new/", proposals.proposal_create, name="create"),
    path("<slug:slug>/decisions/", decisions.decision_log, name="decision_log"),
    path(
        "<slug:slug>/decisions/unsubscribe/<str:token>/",
        decisions.outcome_unsubscribe,
        name="outcome_unsubscribe",
    ),
    path("<slug:slug>/proposals/<int:number>/", proposals.proposal_detail, name="detail"),
    path("<slug:slug>/proposals/<int:number>/edit/", proposals.proposal_edit, name="edit"),
    path(
        "<slug:slug>/proposals/<int:number>/status/",
        proposals.proposal_status,
        name="status",
    ),
    path("<slug:slug>/proposals/<int:number>/vote/", proposals.proposal_vote, name="vote"),
    path("<slug:slug>/proposals/<int:number>/votes/", proposals.proposal_votes, name="votes"),
    path(
        "<slug:slug>/proposals/<int:number>/comments/",
        proposals.proposal_comment,
        name="comment",
    ),
    path("<slug:slug>/proposals/<int:number>/decide/", decisions.proposal_decide, name="decide"),
    path(
        "<slug:slug>/proposals/<int:number>/supersede/",
        decisions.proposal_supersede,
        name="supersede",
    ),
    path(
        "<slug:slug>/proposals/<int:number>/action-items/<int:item_id>/",
        action_items.action_item_row,
        name="action_item",
    ),
    path(
        "<slug:slug>/proposals/<int:number>/action-items/<int:item_id>/jira/",
        action_items.action_item_jira,
        name="action_item_jira",
    ),
    path(
        "<slug:slug>/charter/<slug:key>/propose/",
        decisions.charter_change_propose,
        name="charter_propose",
    ),
    # Design pages
    path("<slug:slug>/design/", pages.page_list, name="page_list"),
    path("<slug:slug>/design/new/", pages.page_create, name="page_create"),
    path(
        "<slug:slug>/proposals/<int:number>/design-page/",
        pages.page_create_from_proposal,
        name="page_from_proposal",
    ),
    path("<slug:slug>/design/<int:number>/", pages.page_detail, name="page_detail"),
    path("<slug:slug>/design/<int:number>/edit/", pages.page_edit, name="page_edit"),
    path("<slug:slug>/design/<int:number>/history/", pages.page_history, name="page_history"),
    path("<slug:slug>/design/<int:number>/compare/", pages.page_compare, name="page_compare"),
    path(
        "<slug:slug>/design/<int:number>/reviewers/",
        pages.page_request_review,
        name="page_request_review",
    ),
    path("<slug:slug>/design/<int:number>/review/", pages.page_review, name="page_review"),
    path("<slug:slug>/design/<int:number>/status/", pages.page_status, name="page_status"),
    path(
        "<slug:slug>/design/<int:number>/lead-approval/",
        pages.page_lead_approve,
        name="page_lead_approve",
    ),
]
