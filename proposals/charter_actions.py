"""What proposals add to the charter's section editor: propose the change instead of saving it."""

from practices.registries import CharterAction

PROPOSE = CharterAction(
    key="propose",
    label="Propose this change",
    title="Let the team vote first: the change is applied when the proposal is decided",
    url_name="proposals:charter_propose",
)
