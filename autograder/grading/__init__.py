"""Class-scale grading on top of nbgrader: warm kernels, parallel workers, feedback, reports.

:mod:`~autograder.grading.settings` holds the run's settings (passed whole to the workers as
JSON), :mod:`~autograder.grading.batch` the run, :mod:`~autograder.grading.worker` one worker,
:mod:`~autograder.grading.execute` and :mod:`~autograder.grading.kernels` execution in
warm, sandboxed kernels; feedback, exports and the report read the graded notebooks.
"""
