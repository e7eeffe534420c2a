"""Class-scale grading on top of nbgrader: warm kernels, parallel workers, feedback, reports."""
