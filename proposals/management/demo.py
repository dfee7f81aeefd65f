# Shim for issue 12: load_demo imports the demo from here until it runs the demo loaders
# of practices.registries. Delete this file (and proposals/management/) with that change.
from proposals.demo import load_demo_proposals

__all__ = ["load_demo_proposals"]
