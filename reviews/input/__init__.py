"""Input from colleagues in a review cycle (docs/reviews.md, "Input from colleagues"): who is
suggested and why (``suggestions``), asking, answering and declining (``services``), and what each
reader sees of the answers on every surface, frozen with the review (``selectors``)."""
