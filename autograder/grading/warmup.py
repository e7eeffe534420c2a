"""A grading worker's warm-up: its fork servers started and TensorFlow imported, once.

Fork servers die with the thread that started them (``PR_SET_PDEATHSIG``): Dask's task
threads may come and go, so a thread of its own starts them and then stays, until
:meth:`Warmth.stop` (the grading plugin's teardown) lets it end and takes them with it.
"""

from __future__ import annotations

import gc
import threading


class Warmth:
    """One worker process's warm state, made once by a thread that lives as long as it is kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._released = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self, isolate: bool) -> None:
        """Begin warming (once); returns at once."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._warm, args=(isolate,), name="autograder-warm", daemon=True
                )
                self._thread.start()

    def _warm(self, isolate: bool) -> None:
        try:
            from autograder.grading import kernels
            from autograder.grading.alembic_patch import cache_alembic_head
            from autograder.nbgrader_driver import put_interpreter_on_path
            from autograder.quiet import import_tensorflow

            put_interpreter_on_path()
            cache_alembic_head()
            kernels.warm_up(isolate=isolate)
            kernels.warm_up("numpy", isolate=isolate)  # NumPy exercises are judged there
            import_tensorflow()  # the judge's references
            gc.freeze()  # TensorFlow's objects live as long as the worker: keep GC off them
        except BaseException as error:  # noqa: BLE001  (reported by every task instead)
            self._error = error
        finally:
            self._ready.set()
        self._released.wait()  # keep the fork servers' parent thread alive

    def wait(self, isolate: bool) -> None:
        """Block until warm; raise what stopped the warming, if anything did."""
        self.start(isolate)
        self._ready.wait()
        if self._error is not None:
            raise RuntimeError(f"the grading worker could not warm up: {self._error!r}")

    def stop(self) -> None:
        """Let the warm-up thread end: the fork servers it started end with it."""
        self._released.set()
