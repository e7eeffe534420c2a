"""The grader's own nbgrader/nbconvert preprocessors, one per module (as nbgrader's own).

Autograding: :mod:`~.private_workdir` (the kernel's scratch folder) and
:mod:`~.resilient_execute` (warm kernels, budgets, the trusted judge);
sanitizing a submission: :mod:`~.drop_empty_nbgrader_metadata`; feedback:
:mod:`~.bound_feedback`, :mod:`~.hide_hidden_tests` and :mod:`~.sanitize_feedback`.
Which of them run, in what order among nbgrader's, is set in
:mod:`autograder.grading.configuration`.
"""
