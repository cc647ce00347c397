"""What the client scripts share: a step that must hold, said as it passes."""

import sys


def check(what, cond):
    if not cond:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)
