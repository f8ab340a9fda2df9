"""Handed in the released notebooks untouched: no answer written."""
