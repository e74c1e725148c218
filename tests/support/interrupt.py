"""Children that Ctrl-C reaches: a shell that starts a job in the background (`cmd &`) starts it with SIGINT
ignored, its children inherit that, and Python then installs no KeyboardInterrupt handler; a test that sends
SIGINT to reprocheck must give it the default disposition back, as a terminal would."""

from __future__ import annotations

import signal


def default_sigint() -> None:
    """``preexec_fn`` of subprocess.Popen: SIGINT back to its default in the child."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
