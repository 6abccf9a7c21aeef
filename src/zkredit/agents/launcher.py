"""Serving agent apps: uvicorn servers in threads (demo, tests) or in the foreground."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

from zkredit.errors import ZKreditError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ThreadedServer:
    """One uvicorn server on a background thread."""

    def __init__(self, app: FastAPI, port: int, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        # log_config=None: uvicorn's dictConfig would close every existing log handler.
        config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                                lifespan="off", access_log=False, log_config=None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True,
                                       name=f"uvicorn-{port}")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise ZKreditError(
                    f"could not start a server on {self.url}",
                    hint="Is the port already in use? Pick another with --port or free it.",
                )
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
