"""The nbgrader configuration a grading worker autogrades with, assembled in one place.

(Not named ``nbgrader_config.py``: the package is in every kernel's view, and the sandbox
tests look for a course's ``nbgrader_config.py`` there.)

The private course's own ``nbgrader_config.py`` (the instructor's, from the package), the
run's settings as configuration of the classes that use them (:func:`run_settings`), the
course's folders, and the preprocessors of each nbgrader step: nbgrader's own, with
execution swapped for :class:`ResilientExecute` and the grader's steps
(:mod:`autograder.grading.preprocessors`) added where they belong.
"""

from __future__ import annotations

from pathlib import Path

from traitlets.config import Config

from autograder.grading.settings import Options
from autograder.layout import CourseLayout


def run_settings(options: Options) -> Config:
    """The run's settings as configuration of the execute preprocessor and the kernels."""
    config = Config()
    if options.cell_timeout:
        config.Execute.timeout = int(options.cell_timeout)
    config.ResilientExecute.submission_seconds = float(options.timeout)
    config.ResilientExecute.output_bytes = int(options.output_bytes)
    config.ResilientExecute.every_cell = bool(options.every_cell)
    config.WarmProvisioner.memory_mb = int(options.memory_mb)
    config.WarmProvisioner.isolate = bool(options.isolate)
    config.WarmProvisioner.figures = bool(options.figures)
    return config


def nbgrader_config(course_root: Path, options: Options) -> Config:
    """A private course's nbgrader_config.py, with the run's settings on top."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        GetGrades,
        IgnorePattern,
        LimitOutput,
        OverwriteCells,
        OverwriteKernelspec,
        SaveAutoGrades,
    )

    from autograder.grading.preprocessors.bound_feedback import BoundFeedback
    from autograder.grading.preprocessors.drop_empty_nbgrader_metadata import (
        DropEmptyNbgraderMetadata,
    )
    from autograder.grading.preprocessors.hide_hidden_tests import HideHiddenTests
    from autograder.grading.preprocessors.private_workdir import PrivateWorkdir
    from autograder.grading.preprocessors.resilient_execute import ResilientExecute
    from autograder.grading.preprocessors.sanitize_feedback import SanitizeFeedback
    from autograder.grading.sanitize import clean_html
    from autograder.grading.staging import STAGED

    config = CourseLayout(course_root).config()
    config.CourseDirectory.root = str(course_root)
    config.merge(run_settings(options))
    config.WarmProvisioner.course_root = str(course_root)
    # The private course's own gradebook, whatever the instructor's course uses.
    config.CourseDirectory.db_url = f"sqlite:///{CourseLayout(course_root).gradebook}"
    config.Autograde.sanitize_preprocessors = [
        ClearOutput,
        DeduplicateIds,
        DropEmptyNbgraderMetadata,
        OverwriteKernelspec,
        OverwriteCells,
        CheckCellMetadata,
    ]
    # nbgrader reads the grader's staged copy of a submission and the kernel runs in a
    # scratch copy of its own (autograder.grading.staging); feedback HTML is sanitized.
    config.CourseDirectory.submitted_directory = STAGED
    config.PrivateWorkdir.course_root = str(course_root)
    config.HTMLExporter.sanitize_html = True
    config.HTMLExporter.filters = {"clean_html": clean_html}
    config.Autograde.autograde_preprocessors = [
        PrivateWorkdir,
        ResilientExecute,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    config.GenerateFeedback.preprocessors = [
        BoundFeedback,
        HideHiddenTests,
        GetGrades,
        SanitizeFeedback,
        CSSHTMLHeaderPreprocessor,
    ]
    return config
