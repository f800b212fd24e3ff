"""A process that files the sample request the way the app does, says so, then waits to be killed.

`python tests/outbox_filer.py READY_FILE` (the store and DEFLECT_SMTP_URL from the environment: the
data dir, or DEFLECT_DATABASE_URL): the request and its outbox are committed, READY_FILE appears
with the case number in it (written whole, then renamed), and nothing is sent.
"""

import os
import sys
import time
from pathlib import Path

from deflect.policy.reader import load_policy
from deflect.store.factory import store_for
from tests.delivery_fixtures import ROOT, file_sample

if __name__ == "__main__":
    store = store_for(os.environ)
    case = file_sample(store, load_policy(ROOT / "kb" / "support.yml"), dict(os.environ))
    ready = Path(sys.argv[1])
    # Written under another name, then renamed: the test waits for READY_FILE to exist and reads
    # it at once, so it must never see the file before the case number is in it.
    temporary = ready.with_name(f".{ready.name}.tmp")
    temporary.write_text(case)
    os.replace(temporary, ready)
    time.sleep(600)  # killed here: after the commit, before any send
