"""Writes for proposals and design pages: see the modules of this package."""
