"""The coordinator as an HTTP/JSON service (FastAPI on uvicorn).

============================================  =============================================
route                                         what
============================================  =============================================
``GET  /v1/state?after=V&wait=S``             the ceremony's state (long poll: answers when
                                              its version passes ``V``, or after ``S`` s)
``GET  /v1/graph``                            graph.json as it stands (signatures so far)
``GET  /v1/signatures``                       only its ``signatures`` object
``GET  /v1/round/{id}``                       the round's inputs (:class:`RoundOpen`)
``GET  /v1/round/{id}/aggregate``             its aggregate nonces, once every member's are in
``POST /v1/round/{id}/nonces``                a member's :class:`NonceCommit`
``POST /v1/round/{id}/psigs``                 a member's :class:`PartialSigs`
``POST /v1/round/{id}/burned``                a restarted member's :class:`Burned`
``POST /v1/signatures``                       ordinary signatures (:class:`PlainSigs`)
============================================  =============================================

Errors are ``{"error": "<one line>"}`` with status 400 (bad or refused message;
``"blame"`` added when the sender is to blame), 409 (a round that is not the
current one: the sender moves on) or 404.  Every request runs on the event loop
in turn, so the :class:`~ocp.ceremony.coordinator.Coordinator` needs no lock.
TLS is uvicorn's (``--tls-cert``/``--tls-key``).
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from ocp.ceremony.coordinator import Coordinator, StaleRound
from ocp.ceremony.session import BlameError
from ocp.errors import UserError
from taptrees.errors import InputError

#: Largest request body taken (a 4,096-step graph's nonces fit with room).
MAX_BODY = 32 * 1024 * 1024
#: Longest long poll.
MAX_WAIT = 30.0


def _error(status: int, message: str, **extra) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def make_app(coordinator: Coordinator, *, linger: float = 2.0, tick: float = 0.25) -> FastAPI:
    """The service over ``coordinator``; it shuts itself down ``linger`` seconds
    after the graph is complete (or the coordinator gave up)."""
    changed = asyncio.Condition()
    done = asyncio.Event()
    graph_cache: dict[int, bytes] = {}

    async def notify() -> None:
        async with changed:
            changed.notify_all()

    async def ticker() -> None:
        finished_at = None
        while True:
            before = coordinator.version
            coordinator.tick()
            if coordinator.save_due():
                try:
                    coordinator.save()
                except (OSError, UserError) as exc:  # the journal still holds everything: retry later
                    print(f"ocp ceremony serve: cannot write {coordinator.path}: {exc}", file=sys.stderr)
            if coordinator.version != before:
                await notify()
            if coordinator.complete or coordinator.failed:
                if coordinator.dirty:
                    coordinator.save()
                loop = asyncio.get_running_loop()
                finished_at = finished_at or loop.time()
                if loop.time() - finished_at >= linger:
                    done.set()
                    return
            await asyncio.sleep(tick)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        task = asyncio.create_task(ticker())
        app.state.done = done
        try:
            yield
        finally:
            task.cancel()
            if coordinator.dirty:
                coordinator.save()

    app = FastAPI(title="ocp ceremony coordinator", lifespan=lifespan, docs_url=None, redoc_url=None)

    async def body(request: Request) -> object:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise UserError(f"request body of {len(raw)} bytes is above {MAX_BODY}")
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            raise UserError("request body is not JSON") from None

    async def command(request: Request, handler) -> JSONResponse:
        try:
            result = handler(await body(request))
        except BlameError as exc:
            await notify()
            return _error(400, str(exc), blame=exc.blame.to_json())
        except StaleRound as exc:
            return _error(409, str(exc))
        except InputError as exc:
            return _error(400, str(exc))
        await notify()
        return JSONResponse(result)

    def query(handler):
        try:
            return JSONResponse(handler())
        except StaleRound as exc:
            return _error(409, str(exc))
        except InputError as exc:
            return _error(404, str(exc))

    @app.get("/v1/state")
    async def state(after: int = -1, wait: float = 0.0, instance: str = ""):
        """Long poll: waits while nothing changed since version ``after`` of this
        coordinator ``instance`` (a restarted coordinator answers at once)."""
        wait = max(0.0, min(wait, MAX_WAIT))
        same = not instance or instance == coordinator.instance
        if same and coordinator.version <= after and wait > 0:
            async with changed:
                try:
                    await asyncio.wait_for(changed.wait_for(lambda: coordinator.version > after), wait)
                except TimeoutError:
                    pass
        return JSONResponse(coordinator.state())

    @app.get("/v1/graph")
    async def graph():
        version = coordinator.version
        if version not in graph_cache:
            graph_cache.clear()
            graph_cache[version] = json.dumps(coordinator.graph_json(), indent=1).encode()
        return Response(graph_cache[version], media_type="application/json")

    @app.get("/v1/signatures")
    async def signatures():
        return JSONResponse(coordinator.signatures_json())

    @app.get("/v1/round/{round_id}")
    async def round_open(round_id: str):
        return query(lambda: coordinator.round_open(round_id).to_json())

    @app.get("/v1/round/{round_id}/aggregate")
    async def aggregate(round_id: str):
        return query(lambda: coordinator.aggregate(round_id).to_json())

    @app.post("/v1/round/{round_id}/nonces")
    async def nonces(round_id: str, request: Request):
        return await command(request, lambda obj: coordinator.post_nonces(_for_round(obj, round_id)))

    @app.post("/v1/round/{round_id}/psigs")
    async def psigs(round_id: str, request: Request):
        return await command(request, lambda obj: coordinator.post_psigs(_for_round(obj, round_id)))

    @app.post("/v1/round/{round_id}/burned")
    async def burned(round_id: str, request: Request):
        return await command(request, lambda obj: coordinator.post_burned(_for_round(obj, round_id)))

    @app.post("/v1/signatures")
    async def plain(request: Request):
        return await command(request, coordinator.post_signatures)

    return app


def _for_round(obj: object, round_id: str) -> object:
    if isinstance(obj, dict) and obj.get("round") != round_id:
        raise UserError(f"the message is for round {obj.get('round')!r}, posted to round {round_id!r}")
    return obj


@dataclass(frozen=True)
class TLS:
    certfile: Path
    keyfile: Path


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket, tls: TLS | None) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{shown}:{port}"


def serve(coordinator: Coordinator, sock: socket.socket, *, tls: TLS | None = None, linger: float = 2.0) -> None:
    """Run the service on ``sock`` until the graph is complete (or the coordinator
    gave up) and ``linger`` seconds have passed, or until interrupted."""
    app = make_app(coordinator, linger=linger)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        ssl_certfile=str(tls.certfile) if tls else None,
        ssl_keyfile=str(tls.keyfile) if tls else None,
    )
    server = uvicorn.Server(config)

    async def main() -> None:
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.05)
        stop = asyncio.create_task(_wait_done(app))
        finished, _ = await asyncio.wait({serving, stop}, return_when=asyncio.FIRST_COMPLETED)
        if stop in finished:
            server.should_exit = True
            await serving
        else:
            stop.cancel()

    try:
        asyncio.run(main())
    finally:
        sys.stdout.flush()


async def _wait_done(app: FastAPI) -> None:
    while not hasattr(app.state, "done"):
        await asyncio.sleep(0.05)
    await app.state.done.wait()
