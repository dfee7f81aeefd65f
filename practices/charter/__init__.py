"""The team charter's sections: see ``practices.charter.sections``."""
