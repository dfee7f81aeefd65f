"""A person's own account: their profile (name, email, time zone, password) and
accepting an invitation."""
