"""Retrospectives: scheduling from the charter's cadence, the board, action items."""
