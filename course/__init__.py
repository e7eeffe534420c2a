"""Learner-facing helpers the chapter notebooks import: plots and small data sets."""
