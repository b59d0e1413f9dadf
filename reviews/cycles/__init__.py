"""Review cycles and calibration: opening, participants, reviewers, reminders, the session."""
