from __future__ import annotations

from reprocheck.cli.entry import run

if __name__ == "__main__":
    run()
