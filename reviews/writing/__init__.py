"""Writing a review: its workflow, its parts, its snapshot and suggested rating, flags and comments."""
