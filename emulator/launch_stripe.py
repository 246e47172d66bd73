"""Start localstripe (a fake Stripe API that stripe-python talks to over HTTP) on 127.0.0.1.

localstripe binds every interface and pickles its whole state to /tmp after every write; this
launcher binds loopback only and keeps the state in memory (tests reset it anyway). It installs
emulator/stripe_fake, which adds what localstripe lacks (Connect, idempotency, bounded refunds,
disputes, Connect-aware signed webhooks...).
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from pathlib import Path

from aiohttp import web
from localstripe import resources, server

# Run as a script by the emulators' interpreter: make `emulator.stripe_fake` importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emulator import stripe_fake


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stripe_fake.install(server.app)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    print(f"localstripe on {args.host}:{args.port}", flush=True)
    web.run_app(server.app, sock=sock, access_log=None, print=None)


if __name__ == "__main__":
    main()
