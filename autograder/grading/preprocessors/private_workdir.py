"""The kernel runs in a scratch copy of the submission's files, not in autograded/.

Nothing learner code writes or replaces there (files, links, a notebook turned into a link
to the gradebook) reaches autograded/ or feedback/, which nbgrader writes only from the
notebook it holds and the staged files.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool, Unicode

from autograder.grading.folders import remove
from autograder.grading.staging import scratch_folder


class PrivateWorkdir(Preprocessor):
    """Run the kernel in a scratch copy of the submission's files, not in autograded/.

    Goes first among the autograde preprocessors: nbconvert starts the kernel in
    ``resources["metadata"]["path"]``, which nbgrader sets to the autograded folder.
    The copy leaves out notebooks (the one being graded holds the hidden tests).
    """

    enabled = Bool(True).tag(config=True)
    course_root = Unicode("", help="The course directory (scratch folders are kept in it).").tag(
        config=True
    )

    def preprocess(self, nb: NotebookNode, resources: Any):
        built = Path(resources["metadata"]["path"])
        names = resources["nbgrader"]
        scratch = scratch_folder(Path(self.course_root), names["assignment"], names["student"])
        remove(scratch)
        shutil.copytree(built, scratch, symlinks=True, ignore=shutil.ignore_patterns("*.ipynb"))
        resources["metadata"]["path"] = str(scratch)
        return nb, resources
