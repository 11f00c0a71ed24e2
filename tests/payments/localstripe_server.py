"""Runs localstripe on 127.0.0.1 only, keeping its state in memory (the stock launcher listens on every
interface and pickles its state to /tmp/localstripe.pickle after every request).

    python tests/payments/localstripe_server.py PORT
"""
from __future__ import annotations

import sys

from aiohttp import web

import localstripe.resources as resources
from localstripe import server

resources.Store.dump_to_disk = lambda self: None  # noqa: ARG005 - in memory only

if __name__ == "__main__":
    web.run_app(server.app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
