"""The lab's lock. Its namespace names are fixed (ws-*), so whoever runs the lab (a test module, a bench, the demo
through flock(1)) holds an exclusive flock on LAB_LOCK: two runs on one machine wait for each other instead of
tearing each other's lab down."""
import fcntl
import os
import sys

LAB_LOCK = "/run/lock/wansteer-lab.lock"


def acquire_lab_lock():
    """An open file holding the lock; close it to release (the kernel releases it if the process dies)."""
    os.makedirs(os.path.dirname(LAB_LOCK), exist_ok=True)
    f = open(LAB_LOCK, "w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"lab: in use by another run, waiting for {LAB_LOCK}", file=sys.stderr, flush=True)
        fcntl.flock(f, fcntl.LOCK_EX)
    return f
