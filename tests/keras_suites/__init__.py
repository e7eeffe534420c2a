"""Keras's own unit tests, run unchanged against the course's reference solutions.

``plugin`` swaps the Keras modules the test files imported for the adapters in
``losses``, ``activations`` and ``initializers``, whose classes and functions call the
solution cells of the source notebooks. ``contract`` names, in one table, what of Keras
lies outside the course's contract; a test that reaches such a feature is skipped with
that category, never because it failed.
"""
