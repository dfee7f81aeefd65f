"""The face of the practices' models: Django loads ``practices.models``, so every
practice's models are imported here, and code outside a practice may import them from
here. Inside a practice, import a sibling's models module directly, never this face
(it would make a circle). Old migrations import ``validate_time_zone`` from here.
"""

from practices.charter.models import (
    CharterRevision,
    CharterSection,
)
from practices.jira.models import (
    FAILED_OUTCOMES,
    JiraConnection,
    JiraDeployment,
    JiraSyncOutcome,
    JiraSyncRun,
    JiraTicket,
    StatusCategory,
)
from practices.outbox.models import (
    OutboxMessage,
)
from practices.reminders.models import (
    RETRO_REMINDER_DAYS_BEFORE,
    RETRO_REMINDER_MAX_DAYS_BEFORE,
    Heartbeat,
    Reminder,
    ReminderDelivery,
    ReminderPreference,
    ReminderProfile,
    ReminderState,
    ReminderTeamSettings,
)
from practices.retros.models import (
    RETRO_BOARD_GRACE,
    RETRO_DOTS_PER_MEMBER,
    RETRO_LONGEST_MINUTES,
    ActionItemStatus,
    Retro,
    RetroActionItem,
    RetroCard,
    RetroCardGroup,
    RetroColumn,
    RetroVote,
    TeamCalendar,
)
from practices.teams.models import (
    CONTRIBUTING_ROLES,
    Membership,
    Role,
    Team,
    validate_time_zone,
)

__all__ = [
    "CONTRIBUTING_ROLES",
    "FAILED_OUTCOMES",
    "RETRO_BOARD_GRACE",
    "RETRO_DOTS_PER_MEMBER",
    "RETRO_LONGEST_MINUTES",
    "RETRO_REMINDER_DAYS_BEFORE",
    "RETRO_REMINDER_MAX_DAYS_BEFORE",
    "ActionItemStatus",
    "CharterRevision",
    "CharterSection",
    "Heartbeat",
    "JiraConnection",
    "JiraDeployment",
    "JiraSyncOutcome",
    "JiraSyncRun",
    "JiraTicket",
    "Membership",
    "OutboxMessage",
    "Reminder",
    "ReminderDelivery",
    "ReminderPreference",
    "ReminderProfile",
    "ReminderState",
    "ReminderTeamSettings",
    "Retro",
    "RetroActionItem",
    "RetroCard",
    "RetroCardGroup",
    "RetroColumn",
    "RetroVote",
    "Role",
    "StatusCategory",
    "Team",
    "TeamCalendar",
    "validate_time_zone",
]
