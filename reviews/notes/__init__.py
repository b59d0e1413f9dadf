"""Feedback notes on a CSM through the quarter (docs/reviews.md, "Feedback through the quarter")."""
