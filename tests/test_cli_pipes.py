"""``arcsim`` output piped into a reader that stops early ends quietly (no traceback)."""

from __future__ import annotations

import subprocess
import sys


def test_output_into_a_closed_pipe_is_no_traceback() -> None:
    code = ("import sys, time; from sim.cli import main; time.sleep(0.5); "
            "sys.exit(main(['schema']))")
    writer = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    assert writer.stdout is not None and writer.stderr is not None
    writer.stdout.close()  # the reader goes away before the output comes, as `| head` would
    err = writer.stderr.read().decode()
    status = writer.wait(timeout=60)
    assert "Traceback" not in err
    assert status == 141
