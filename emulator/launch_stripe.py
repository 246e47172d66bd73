"""Start localstripe (a fake Stripe API that stripe-python talks to over HTTP) on 127.0.0.1.

localstripe binds every interface and pickles its whole state to /tmp after every write; this
launcher binds loopback only and keeps the state in memory (tests reset it anyway).
"""

from __future__ import annotations

import argparse
import socket

from aiohttp import web
from localstripe import resources, server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    print(f"localstripe on {args.host}:{args.port}", flush=True)
    web.run_app(server.app, sock=sock, access_log=None, print=None)


if __name__ == "__main__":
    main()
