"""What a review and a cycle print: the review PDF, the cycle summary PDF, the zip of a cycle."""
