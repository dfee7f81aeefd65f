"""A vote becomes a preference (or none) plus objections of their own.

An old vote was an option and a stance. What it meant carries over:
- (option, agree) → a preference for that option, with its reason;
- (option, abstain) → no preference, with its reason;
- (option, disagree|block) → that objection on that option, with its reason, and no
  preference: objecting to an option never said the person wanted it.
The approver's answers to blocks were keyed by the blocker's id; a person may now block
several options, so each answer is keyed by blocker and option (``block_key``).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Old objections were refused without a reason; this only guards rows written around
# the form (the admin, a shell), which the new constraint would otherwise refuse.
MISSING_REASON = "(no reason was given)"


def split_votes(apps, schema_editor):
    Vote = apps.get_model("proposals", "Vote")
    Objection = apps.get_model("proposals", "Objection")
    Proposal = apps.get_model("proposals", "Proposal")
    objections = []
    blocked_option = {}  # (proposal id, voter id) → the option they blocked
    for vote in Vote.objects.exclude(stance="agree").iterator():
        if vote.stance in ("disagree", "block"):
            objections.append(
                Objection(
                    proposal_id=vote.proposal_id,
                    voter_id=vote.voter_id,
                    option_id=vote.option_id,
                    kind=vote.stance,
                    reason=vote.reason.strip() or MISSING_REASON,
                )
            )
            if vote.stance == "block":
                blocked_option[(vote.proposal_id, vote.voter_id)] = vote.option_id
            vote.reason = ""
        vote.option_id = None
        vote.save(update_fields=["option", "reason"])
    Objection.objects.bulk_create(objections, batch_size=500)
    for proposal in Proposal.objects.exclude(block_answers={}).iterator():
        answers = {}
        for voter_id, answer in proposal.block_answers.items():
            option_id = blocked_option.get((proposal.pk, int(voter_id)))
            if option_id is None:
                # The block was changed after the answer, as the old model allowed:
                # keep the answer under a key that still names its author's block.
                answers[str(voter_id)] = answer
            else:
                answers[f"{voter_id}:{option_id}"] = answer
        proposal.block_answers = answers
        proposal.save(update_fields=["block_answers"])


def join_votes(apps, schema_editor):
    """Back to one stance a vote, keeping the strongest objection where there is one."""
    Option = apps.get_model("proposals", "Option")
    Vote = apps.get_model("proposals", "Vote")
    Objection = apps.get_model("proposals", "Objection")
    Proposal = apps.get_model("proposals", "Proposal")
    strongest = {}
    for objection in Objection.objects.order_by("kind").iterator():  # block < disagree
        strongest.setdefault((objection.proposal_id, objection.voter_id), objection)
    for vote in Vote.objects.iterator():
        objection = strongest.get((vote.proposal_id, vote.voter_id))
        if objection is not None:
            vote.option_id, vote.stance, vote.reason = (
                objection.option_id,
                objection.kind,
                objection.reason,
            )
        elif vote.option_id is not None:
            vote.stance = "agree"
        else:
            # No preference: the old model needed an option even to abstain.
            option = Option.objects.filter(proposal_id=vote.proposal_id).order_by("position")
            vote.option_id, vote.stance = option.values_list("pk", flat=True)[0], "abstain"
        vote.save(update_fields=["option", "stance", "reason"])
    for proposal in Proposal.objects.exclude(block_answers={}).iterator():
        proposal.block_answers = {
            key.split(":", 1)[0]: answer for key, answer in proposal.block_answers.items()
        }
        proposal.save(update_fields=["block_answers"])


class Migration(migrations.Migration):
    dependencies = [
        ("practices", "0004_reminders"),
        ("proposals", "0004_reviews_page_events"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Objection",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("block", "Block"), ("disagree", "Disagree")], max_length=8
                    ),
                ),
                ("reason", models.TextField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "option",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="objections",
                        to="proposals.option",
                    ),
                ),
                (
                    "proposal",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="objections",
                        to="proposals.proposal",
                    ),
                ),
                (
                    "voter",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["created_at", "id"]},
        ),
        migrations.AlterField(
            model_name="vote",
            name="option",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="votes",
                to="proposals.option",
            ),
        ),
        migrations.CreateModel(
            name="OutcomeOptOut",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("email", models.EmailField(max_length=254)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "team",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="practices.team",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("team", "email"), name="outcome_opt_out_once")
                ]
            },
        ),
        migrations.RunPython(split_votes, join_votes),
        # A default only so that going back can add the column to existing rows before
        # ``join_votes`` sets each one.
        migrations.AlterField(
            model_name="vote",
            name="stance",
            field=models.CharField(
                choices=[
                    ("agree", "Agree"),
                    ("abstain", "Abstain"),
                    ("disagree", "Disagree"),
                    ("block", "Block"),
                ],
                default="agree",
                max_length=8,
            ),
        ),
        migrations.RemoveField(model_name="vote", name="stance"),
        migrations.AddConstraint(
            model_name="objection",
            constraint=models.UniqueConstraint(
                fields=("proposal", "voter", "option"), name="objection_one_per_option"
            ),
        ),
        migrations.AddConstraint(
            model_name="objection",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["block", "disagree"])),
                name="objection_kind_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="objection",
            constraint=models.CheckConstraint(
                condition=models.Q(("reason", ""), _negated=True), name="objection_has_reason"
            ),
        ),
    ]
