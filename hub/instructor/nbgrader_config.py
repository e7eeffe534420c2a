"""The instructor's nbgrader settings on the hub (installed as ~/.jupyter/nbgrader_config.py).

The course directory is a copy of this repository's source/, release/ and
nbgrader_config.py in the instructor's home, which no learner can read.
"""

import os

c = get_config()  # noqa: F821 (injected by traitlets)

c.CourseDirectory.root = os.path.expanduser("~/keras-from-scratch")
