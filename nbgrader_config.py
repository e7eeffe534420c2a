"""nbgrader configuration: the course directory is the repository root."""

c = get_config()  # noqa: F821 (injected by traitlets)

c.CourseDirectory.course_id = "keras-from-scratch"
# Importing TensorFlow takes ~8 s; a chapter's slowest cell trains a small model.
c.Execute.timeout = 180
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
