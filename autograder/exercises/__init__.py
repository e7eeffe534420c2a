"""One catalogue per chapter: each module exports its exercises as ``EXERCISES``.

A catalogue holds only the parts of its exercises: Keras references, cases, hints and
known mistakes. The engines they use live in :mod:`autograder.judges`, the wrong
implementations shared across chapters in :mod:`autograder.mistakes`, and
:mod:`autograder.registry` collects the catalogues by name.
"""
