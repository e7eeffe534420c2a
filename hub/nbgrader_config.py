"""Class-wide nbgrader settings on the hub, read by every learner and by the instructor.

`make hub` installs this file into the user environment's etc/jupyter/ (the place The
Littlest JupyterHub calls /opt/tljh/user/etc/jupyter/). The instructor's own settings
(where the course directory is) come from ~/.jupyter/, see hub/instructor/.
"""

import os

c = get_config()  # noqa: F821 (injected by traitlets)

c.CourseDirectory.course_id = "keras-from-scratch"
# The shared exchange: released assignments, submissions and feedback pass through it.
# KERAS_COURSE_EXCHANGE is set by hub/jupyterhub_config.py when the class uses another one.
c.Exchange.root = os.environ.get("KERAS_COURSE_EXCHANGE", "/srv/nbgrader/exchange")
# Validate runs the learner's whole notebook: TensorFlow's import alone takes ~10 s.
c.Execute.timeout = 180
