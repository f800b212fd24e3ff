"""A process that files the sample request the way the app does, says so, then waits to be killed.

`python tests/outbox_filer.py READY_FILE` (the store and DEFLECT_SMTP_URL from the environment: the
data dir, or DEFLECT_DATABASE_URL): the request and its outbox are committed, READY_FILE is written,
and nothing is sent.
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
    Path(sys.argv[1]).write_text(case)
    time.sleep(600)  # killed here: after the commit, before any send
