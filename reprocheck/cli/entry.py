"""The console script and ``python -m reprocheck``: set the process up for a short life, then run the CLI.

Imports allocate hundreds of thousands of objects that live until exit, and the collector's young
generation walks them every 700 allocations: ~4% of a one-file ``reprocheck lint``. A higher first
threshold keeps collection for long runs (a tree of thousands of files) without paying it at start-up.
Only the entry point does this; importing ``reprocheck.cli.app`` (tests, library users) leaves gc alone.
"""

import gc

gc.set_threshold(100_000, 20, 20)

from reprocheck.cli.app import main, run  # noqa: E402

__all__ = ["main", "run"]
