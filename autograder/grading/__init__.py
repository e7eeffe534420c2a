"""Class-scale grading on top of nbgrader: a Dask cluster, warm kernels, feedback, reports.

On the instructor's machine: :mod:`~autograder.grading.batch` grades a batch and
:func:`~autograder.grading.api.grade_class` adds the exports and the report,
:mod:`~autograder.grading.folders` reads learners' folders safely,
:mod:`~autograder.grading.package` packs what workers need, :mod:`~autograder.grading.cluster`
starts or joins the cluster and feeds it tasks, :mod:`~autograder.grading.record` writes
results into the course.
On each worker: :mod:`~autograder.grading.plugin` (the Dask plugin and its task) warms it up
(:mod:`~autograder.grading.warmup`) and grades each submission in a private course
(:mod:`~autograder.grading.private_course`, :mod:`~autograder.grading.staging`) with the
nbgrader configuration of :mod:`~autograder.grading.configuration`, whose own steps are
in :mod:`~autograder.grading.preprocessors`; :mod:`~autograder.grading.judge` and
:mod:`~autograder.grading.kernels` run learner code in warm, sandboxed kernels, forked from
fork servers that preload :mod:`~autograder.grading.preload_full` or
:mod:`~autograder.grading.preload_numpy`.
:mod:`~autograder.grading.settings` holds the run's settings; feedback, exports and the
report read the graded notebooks.
"""
