"""Serve the real app (waitress, outbox worker on) for the fault tests: `python tests/run_app.py PORT`.

The data dir, KB and mail server come from the environment (DEFLECT_*), as in production; the
outbox lease and interval are short so a killed process's claim is taken over within seconds.
"""

import os
import sys

from waitress import serve

from deflect.app import create_app

if __name__ == "__main__":
    app = create_app(
        {
            "OUTBOX_INTERVAL": 0.1,
            "OUTBOX_LEASE": float(os.environ.get("TEST_OUTBOX_LEASE", "2")),
            "FILING_RATE_LIMIT": "1000 per minute",
            "SUBMISSION_RATE_LIMIT": "1000 per minute",
            "SECRET_KEY": "test-secret",
        }
    )
    serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=4, _quiet=True)
