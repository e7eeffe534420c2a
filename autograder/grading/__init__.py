"""Class-scale grading on top of nbgrader: a Dask cluster, warm kernels, feedback, reports.

On the instructor's machine: :mod:`~autograder.grading.batch` runs a batch,
:mod:`~autograder.grading.intake` reads submissions, :mod:`~autograder.grading.package`
packs what workers need, :mod:`~autograder.grading.cluster` starts or joins the cluster and
feeds it tasks, :mod:`~autograder.grading.record` writes results into the course.
On each worker: :mod:`~autograder.grading.worker` grades one submission in a private
course, :mod:`~autograder.grading.execute`, :mod:`~autograder.grading.judge` and
:mod:`~autograder.grading.kernels` run it in warm, sandboxed kernels.
:mod:`~autograder.grading.settings` holds the run's settings; feedback, exports and the
report read the graded notebooks.
"""
