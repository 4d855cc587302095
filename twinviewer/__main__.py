"""``python -m twinviewer``: the same as the ``twinviewer`` command.

Example
-------
>>> # python -m twinviewer simulate --preset healthy   # doctest: +SKIP
"""

import sys

from twinviewer.cli import main

if __name__ == "__main__":
    sys.exit(main())
