"""One catalogue per chapter: each module exports its exercises as ``EXERCISES``.

A catalogue holds only the parts of its exercises: each one's kind (:mod:`autograder.kinds`)
with its data, Keras references, cases, hints and known mistakes. The engines they use live
in :mod:`autograder.judges`, the wrong implementations shared across chapters in
:mod:`autograder.mistakes`, and :mod:`autograder.registry` finds every module here and
collects its ``EXERCISES`` by name: a new chapter is a new module.
"""
