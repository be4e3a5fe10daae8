"""The frozen app's entry script (PyInstaller): the app, or one of its helper processes (see workbench/__main__.py)."""

import multiprocessing
import sys

if __name__ == "__main__":
    # A spawned worker of services/processes.py re-runs this executable with multiprocessing's own arguments:
    # freeze_support (PyInstaller's, on every platform) runs the worker and exits before the app starts.
    multiprocessing.freeze_support()
    from workbench.__main__ import main

    sys.exit(main())
