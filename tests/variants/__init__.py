"""Catalogues for the autograder's own tests: correct variants and plausible mistakes."""
