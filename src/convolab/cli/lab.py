"""``convolab lab``: serve the interactive laboratory on this machine."""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
import webbrowser
from pathlib import Path

import click

from convolab.cli.errors import UsageProblem

__all__ = ["lab"]


# The filters a lab session starts with: float32 images, small kernels, the common borders.
_WARM_UP = """
import numpy as np, convolab
from convolab import image
from convolab.runtime import load_compiled
load_compiled()
x = np.zeros((64, 64), np.float32)
for n in (3, 5, 7):
    for boundary in ("constant", "reflect", "edge"):
        convolab.correlate(x, np.ones((n, n), np.float32), mode="same", boundary=boundary)
image.edges(x, "sobel")
"""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


@click.command("lab")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")  # fmt: skip
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; anything but the loopback exposes the lab to the network.")
@click.option("--model", "model_path", type=click.Path(exists=True), default=None,
              metavar="RUN_DIR|MODEL",
              help="A run folder or model file to explore in Network (default: the embedded "
                   "LeNet-5).")  # fmt: skip
@click.option("--data", "data_folders", multiple=True, type=click.Path(exists=True,
              file_okay=False), metavar="FOLDER",
              help="A folder of IDX files the Train page may use (repeatable).")  # fmt: skip
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
def lab(port: int, host: str, model_path: str | None, data_folders: tuple[str, ...],
        no_browser: bool) -> None:  # fmt: skip
    """Start the interactive laboratory: Slide, Filter, Signals, Network and Train.

    Serves the pages and their JSON API on HOST:PORT until Ctrl-C. Everything the
    pages load comes from this package: the lab works offline.
    """
    try:
        import uvicorn

        from convolab.lab import LabConfig, create_app
    except ImportError as exc:
        raise UsageProblem(f"the lab needs the `lab` extra (pip install 'convolab[lab]'): "
                           f"{exc}") from None  # fmt: skip
    if not _loopback(host):
        click.echo(f"convolab: warning: --host {host} is not the loopback: anyone who can reach "
                   "this machine can use the lab and its training runs", err=True)  # fmt: skip
    if port and not _free(host, port):
        raise UsageProblem(f"--port {port}: the address {host}:{port} is in use; choose another "
                           "port or --port 0")  # fmt: skip
    config = LabConfig(model=Path(model_path) if model_path else None,
                       data_folders=tuple(Path(f) for f in data_folders))  # fmt: skip
    app = create_app(config)
    from convolab.runtime import compile_in_background, load_compiled

    load_compiled()  # a long-running server: every compiled loop serves from the first request
    # On a first start after an install the image filters' loops compile on first use (8 s for
    # the 3x3): a second process fills Numba's cache with the common ones while the page loads.
    warm_up = compile_in_background(_WARM_UP)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    shown = f"[{host}]" if ":" in host else host

    def announce() -> None:
        while not server.started and not server.should_exit:
            threading.Event().wait(0.05)
        if not server.started:
            return
        bound = server.servers[0].sockets[0].getsockname()[1] if server.servers else port
        url = f"http://{shown}:{bound}/"
        click.echo(f"convolab lab: {url}  (Ctrl-C stops it)")
        sys.stdout.flush()
        if not no_browser:
            webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    try:
        server.run()  # returns, or re-raises Ctrl-C, once the server has shut down
    except KeyboardInterrupt:
        pass
    finally:
        if warm_up is not None:
            warm_up.kill()
            warm_up.wait()
    click.echo("convolab lab: stopped")
