"""Entry point of the desktop bundle (PyInstaller): the ``twinviewer`` command line."""

import sys

from twinviewer.cli import main

if __name__ == "__main__":
    sys.exit(main())
