"""Teams, their members and people's own accounts."""
