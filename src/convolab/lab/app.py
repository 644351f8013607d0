"""The Starlette application: the five pages, their static files and the JSON API."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from convolab.conv import BOUNDARIES, MODES
from convolab.lab import network, sections
from convolab.lab.inputs import BadInput
from convolab.lab.training import Jobs

STATIC = Path(__file__).with_name("static")
PAGES = ("slide", "filter", "signals", "network", "train")
MAX_JSON_BYTES = 2 * 2**20


@dataclass(frozen=True)
class LabConfig:
    """What the command line named: a model to explore and folders of IDX data to train on."""

    model: Path | None = None
    data_folders: tuple[Path, ...] = ()


async def _read(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it passes ``limit`` bytes."""
    size = request.headers.get("content-length", "")
    if size.isdigit() and int(size) > limit:
        raise BadInput(f"the request has {size} bytes; at most {limit} are accepted", 413)
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise BadInput(f"the request has more than {limit} bytes; at most {limit} are "
                           "accepted", 413)  # fmt: skip
        chunks.append(chunk)
    return b"".join(chunks)


async def _json(request: Request) -> dict[str, Any]:
    raw = await _read(request, MAX_JSON_BYTES)
    try:
        body = json.loads(raw or b"{}")
    except json.JSONDecodeError as exc:
        raise BadInput(f"the request body is not valid JSON ({exc.msg} at {exc.pos})") from None
    except UnicodeDecodeError:
        raise BadInput("the request body is not valid JSON (not UTF-8)") from None
    if not isinstance(body, dict):
        raise BadInput("the request body must be a JSON object")
    return body


async def _upload(request: Request) -> bytes:
    return await _read(request, sections.MAX_UPLOAD_BYTES)


Handler = Callable[[Any], Any]


def _plain(value: Any) -> Any:
    """JSON-ready: NumPy scalars and arrays become Python ones, NaN and infinities ``null``."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _scalar(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot send a {type(value).__name__} as JSON")


class _JSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        options = {"ensure_ascii": False, "separators": (",", ":"), "allow_nan": False}
        try:  # the common case, at C speed; NaN or infinity take the careful path
            return json.dumps(content, default=_scalar, **options).encode()
        except ValueError:
            return json.dumps(_plain(content), **options).encode()


def _api(handler: Handler, read: Callable[[Request], Awaitable[Any]] = _json
         ) -> Callable[[Request], Awaitable[Response]]:  # fmt: skip
    """A route that runs ``handler`` off the event loop and answers 4xx for bad input."""

    async def endpoint(request: Request) -> Response:
        try:
            result = await run_in_threadpool(handler, await read(request))
        except BadInput as exc:
            return _JSON({"error": str(exc)}, status_code=exc.status)
        except (ValueError, TypeError, OverflowError, MemoryError) as exc:
            # the library refused the values (the checks above should have caught them first)
            return _JSON({"error": f"cannot compute that: {exc}"}, status_code=400)
        return _JSON(result)

    return endpoint


def _pages() -> dict[str, str]:
    """Each page: the shared shell (head, navigation) around the page's own main part."""
    shell = (STATIC / "shell.html").read_text(encoding="utf-8")
    return {
        name: shell.replace("{title}", name.title() if name != "index" else "Home").replace(
            "{main}", (STATIC / f"{name}.part.html").read_text(encoding="utf-8"))
        for name in ("index", *PAGES)
    }  # fmt: skip


def create_app(config: LabConfig | None = None) -> Starlette:
    """The lab as an ASGI application (serve it with uvicorn, or test it with TestClient)."""
    config = config or LabConfig()
    registry = network.Models(config.model)
    jobs = Jobs(registry, config.data_folders)
    uploads = sections.Uploads()

    def info(_: dict[str, Any]) -> dict[str, Any]:
        from convolab import models

        return {
            "kernels": sections.kernel_bank(), "modes": list(MODES),
            "boundaries": list(BOUNDARIES), "samples": list(sections.SAMPLE_NAMES),
            "models": registry.listing(), "default_model": registry.default,
            "model_names": list(models.MODEL_NAMES), "data": jobs.data_choices(),
            "limits": {"upload_bytes": sections.MAX_UPLOAD_BYTES,
                       "upload_pixels": sections.MAX_UPLOAD_PIXELS},
        }  # fmt: skip

    pages = _pages()

    async def page(request: Request) -> Response:
        name = request.path_params.get("page", "index")
        if name not in pages:
            return _JSON({"error": f"no page {name!r}"}, status_code=404)
        return HTMLResponse(pages[name], headers={"Cache-Control": "no-cache"})

    async def train_status(request: Request) -> Response:
        try:
            job = jobs.get(request.path_params["key"])
            since = request.query_params.get("since", "0")
            if not since.isdigit():
                raise BadInput(f"`since` must be a non-negative integer; got {since!r}")
        except BadInput as exc:
            return _JSON({"error": str(exc)}, status_code=exc.status)
        return _JSON(job.since(int(since)))

    def stop(body: dict[str, Any]) -> dict[str, Any]:
        job = jobs.get(body.get("id"))
        job.stop.set()
        return job.since(len(job.events))

    routes = [
        Route("/", page),
        Route("/api/info", _api(info), methods=["GET", "POST"]),
        Route("/api/kernel", _api(sections.kernel), methods=["POST"]),
        Route("/api/slide", _api(sections.slide), methods=["POST"]),
        Route("/api/filter", _api(lambda b: sections.filter_image(b, uploads)), methods=["POST"]),
        Route("/api/upload", _api(uploads.add, _upload), methods=["POST"]),
        Route("/api/signals", _api(sections.signals), methods=["POST"]),
        Route("/api/network/forward", _api(lambda b: network.forward(registry, b)),
              methods=["POST"]),  # fmt: skip
        Route("/api/network/unit", _api(lambda b: network.unit(registry, b)), methods=["POST"]),
        Route("/api/train/start", _api(jobs.start), methods=["POST"]),
        Route("/api/train/stop", _api(stop), methods=["POST"]),
        Route("/api/train/{key}", train_status),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        Route("/{page}", page),
    ]
    threading.Thread(target=registry.warm_up, name="lab-warm-up", daemon=True).start()
    app = Starlette(routes=routes)
    app.state.registry, app.state.jobs = registry, jobs
    return app
