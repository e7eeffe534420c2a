"""nbgrader configuration: the course directory is the repository root."""

c = get_config()  # noqa: F821 (injected by traitlets)

c.CourseDirectory.course_id = "keras-from-scratch"
# Importing TensorFlow takes ~8 s; a chapter's slowest cell trains a small model.
c.Execute.timeout = 180
# After a cell's reply, nbclient waits for the cell's last outputs; on a loaded machine
# (graders run several kernels at once) they can lag well behind nbclient's 4 s default.
# Wait longer, and never fail a whole submission over late output: a failing cell's
# error is taken from its reply either way, so scores do not depend on it.
c.Execute.iopub_timeout = 30
c.Execute.raise_on_iopub_timeout = False
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# `autograder grade <chapter> --zip downloads.zip` (and `nbgrader zip_collect`) read the
# student id and the notebook name from each file name in the archive, by default
# `<student>_<notebook>.ipynb`, e.g. `jdoe_02_activations.ipynb`. Adapt this regular
# expression to your LMS's naming (it is matched against the file's full path).
c.FileNameCollectorPlugin.named_regexp = r".*/(?P<student_id>[^/_]+)_(?P<file_id>[^/]+\.ipynb)$"
