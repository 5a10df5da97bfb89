#!/usr/bin/env python3
"""Apex reference worker.

Usage: python3 workers/python/apex_worker.py --redis HOST:PORT [options]; --help lists them.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from apexworker.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
