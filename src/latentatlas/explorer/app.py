"""The explorer's web app: a FastAPI JSON API over the served runs, and the page that uses it.

Every request is validated (pydantic models with bounds, run names looked up in the served
folder's list, finite numbers of the right dimension); a request that fails validation gets 422,
an unknown run or point 404, each with a JSON ``{"detail": ...}``, never a stack trace. An
offline API reference is at ``/docs``, the OpenAPI description at ``/openapi.json``.
"""

from __future__ import annotations

import logging
import os
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from latentatlas.errors import InputError
from latentatlas.explorer import images, payloads
from latentatlas.explorer.api_docs import api_page
from latentatlas.explorer.catalogue import Catalogue, NotAvailable, UnknownRun
from latentatlas.explorer.export import export_html
from latentatlas.explorer.views import ViewSpec

logger = logging.getLogger("latentatlas.explorer")

#: Largest request body accepted (a path of 128 waypoints of 1,024 numbers fits easily).
MAX_BODY_BYTES = 2_000_000
#: Largest latent dimension a request may carry.
MAX_LATENT_DIM = 4096
#: Hosts the app answers to: loopback only (a page on another site cannot rebind its name here).
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]

Number = Annotated[float, Field(allow_inf_nan=False, ge=-1e6, le=1e6)]
RunName = Annotated[str, Field(min_length=1, max_length=1000)]
ViewName = Annotated[str, Field(min_length=1, max_length=100)]
Components = Annotated[
    list[Annotated[int, Field(ge=0, lt=MAX_LATENT_DIM)]], Field(min_length=2, max_length=3)
]
Code = Annotated[list[Number], Field(min_length=1, max_length=MAX_LATENT_DIM)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecodeRequest(_Strict):
    """A code to decode with a run's model."""

    run: RunName
    z: Code = Field(description="The code, one number per latent dimension.")
    side: int = Field(images.THUMBNAIL_SIDE, ge=8, le=512, description="Image size in pixels.")


class LiftRequest(_Strict):
    """A clicked position in a view, to turn into a code."""

    run: RunName
    view: ViewName = "auto"
    pcs: Components = [0, 1]
    position: Annotated[list[Number], Field(min_length=2, max_length=3)]


class PathRequest(_Strict):
    """A path through waypoints (codes) to decode."""

    run: RunName
    codes: Annotated[list[Code], Field(min_length=2, max_length=images.MAX_WAYPOINTS)]
    kind: Literal["line", "spline"] = "line"
    n_points: int = Field(16, ge=2, le=images.MAX_PATH_POINTS)
    view: ViewName | None = Field(None, description="Also return the path's coordinates here.")
    pcs: Components = [0, 1]


def create_app(folder: str | os.PathLike[str], warm_up: bool = True) -> FastAPI:
    """The explorer app serving the runs at or below ``folder`` (a run, a study, the atlas).

    With ``warm_up`` (the default) ``GET /api/runs/{name}``, which the page asks when a run is
    chosen, also decodes one code, so that the first slider move is as fast as the next
    (``benchmarks/explorer_decode.py`` compares both).

    Raises
    ------
    InputError
        When ``folder`` holds no complete run.
    """
    catalogue = Catalogue(folder)
    app = FastAPI(
        title="latentatlas explorer",
        description=f"Latent spaces of the runs in {catalogue.folder}.",
        version="1",
        docs_url=None,  # Swagger UI and ReDoc load their scripts from a CDN: /docs is ours
        redoc_url=None,
    )
    app.state.catalogue = catalogue
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=ALLOWED_HOSTS)
    _add_error_handlers(app)
    _add_page_routes(app)
    _add_api_routes(app, catalogue, warm_up)
    return app


# -- errors ---------------------------------------------------------------------------------------
def _add_error_handlers(app: FastAPI) -> None:
    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Any:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return JSONResponse(
                {"detail": f"request body larger than {MAX_BODY_BYTES} bytes"}, status_code=413
            )
        return await call_next(request)

    @app.exception_handler(UnknownRun)
    async def unknown_run(request: Request, error: UnknownRun) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=404)

    @app.exception_handler(NotAvailable)
    async def not_available(request: Request, error: NotAvailable) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=404)

    @app.exception_handler(InputError)
    async def bad_input(request: Request, error: InputError) -> JSONResponse:
        # 422 like a request that fails the pydantic checks: every validation failure alike.
        return JSONResponse({"detail": str(error)}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes the input back; a huge or odd body should not come back.
        problems = [
            f"{'.'.join(str(p) for p in item.get('loc', ()))}: {item.get('msg', 'invalid')}"
            for item in error.errors()[:5]
        ]
        return JSONResponse({"detail": "; ".join(problems)}, status_code=422)

    @app.exception_handler(Exception)
    async def bug(request: Request, error: Exception) -> JSONResponse:
        logger.exception("explorer failed on %s", request.url.path)
        return JSONResponse({"detail": f"internal error ({type(error).__name__})"}, 500)


# -- the page -------------------------------------------------------------------------------------
def _static_folder() -> Path:
    return Path(str(resources.files("latentatlas.explorer") / "static"))


def _plotly_js() -> Path:
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise NotAvailable(f"plotly.min.js is missing from the plotly package at {path}")
    return path


def _add_page_routes(app: FastAPI) -> None:
    static = _static_folder()
    app.mount("/static", StaticFiles(directory=static), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse((static / "index.html").read_text(encoding="utf-8"))

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def api_reference() -> HTMLResponse:
        return HTMLResponse(api_page(app.openapi()))

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(_plotly_js(), media_type="text/javascript")


# -- the API --------------------------------------------------------------------------------------
def _png(content: bytes) -> Response:
    return Response(content, media_type="image/png", headers={"Cache-Control": "no-store"})


def _add_api_routes(app: FastAPI, catalogue: Catalogue, warm_up: bool) -> None:
    name_param = PathParam(..., max_length=1000, description="Run name, as GET /api/runs lists it.")

    @app.get("/api/runs", summary="The runs of the served folder")
    def list_runs() -> list[dict[str, Any]]:
        return [entry.to_dict() for entry in catalogue.entries.values()]

    @app.get("/api/runs/{name:path}/points", summary="Points of a run in a view")
    def points(
        name: str = name_param,
        view: str = Query("auto", max_length=100, description="latent, pca, map:tsne, ..."),
        pcs: list[int] = Query([0, 1], max_length=3, description="PCs of the pca view."),
        max_points: int | None = Query(None, ge=1, le=10_000_000, description="Subsample."),
        codes: bool = Query(True, description="Include the full codes."),
    ) -> JSONResponse:
        run = catalogue.run(name)
        payload = payloads.points_payload(run, ViewSpec.parse(run, view, pcs), max_points, codes)
        return JSONResponse(payload)  # plain lists already: skip FastAPI's per-item encoder

    @app.get("/api/runs/{name:path}/points/{index}", summary="One point of a run")
    def point(
        name: str = name_param,
        index: int = PathParam(..., ge=0, lt=2**62),
        view: str | None = Query(None, max_length=100),
        pcs: list[int] = Query([0, 1], max_length=3),
    ) -> dict[str, Any]:
        run = catalogue.run(name)
        spec = None if view is None else ViewSpec.parse(run, view, pcs)
        return payloads.point_payload(run, index, spec)

    @app.get("/api/runs/{name:path}/image/{index}.png", summary="A point's original image")
    def image(name: str = name_param, index: int = PathParam(..., ge=0, lt=2**62)) -> Response:
        return _png(images.png(images.original_image(catalogue, name, index)))

    @app.get("/api/runs/{name:path}/reconstruction/{index}.png", summary="A point's decode")
    def reconstruction(
        name: str = name_param,
        index: int = PathParam(..., ge=0, lt=2**62),
        with_original: bool = Query(
            False, description="Vector inputs: mark the original's values on the profile."
        ),
    ) -> Response:
        decoded = images.reconstruction(catalogue.run(name), index)
        original = None
        if with_original and decoded.ndim == 1:
            original = images.original_image(catalogue, name, index)
        return _png(images.png(decoded, reference=original))

    @app.get("/api/runs/{name:path}/export.html", summary="The view as a self-contained page")
    def export(
        name: str = name_param,
        view: str = Query("auto", max_length=100),
        pcs: list[int] = Query([0, 1], max_length=3),
        colour: str = Query("label", max_length=200),
        max_points: int | None = Query(None, ge=1, le=10_000_000),
        selected: int | None = Query(None, ge=0, lt=2**62),
    ) -> HTMLResponse:
        run = catalogue.run(name)
        page = export_html(run, ViewSpec.parse(run, view, pcs), colour, max_points, selected)
        filename = "latentatlas-" + "".join(c if c.isalnum() else "-" for c in name) + ".html"
        disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
        return HTMLResponse(page, headers=disposition)

    @app.get("/api/runs/{name:path}", summary="A run: views, factors, slider ranges, PCA axes")
    def run_detail(name: str = name_param) -> dict[str, Any]:
        run = catalogue.run(name)
        if warm_up:
            images.warm_up(run)
        return payloads.run_payload(run)

    png_answer = {200: {"content": {"image/png": {}}, "description": "A PNG image."}}

    @app.post("/api/decode", summary="Decode a code to a PNG", responses=png_answer)
    def decode(request: DecodeRequest) -> Response:
        run = catalogue.run(request.run)
        z = images.check_code(run, request.z)
        return _png(images.png(images.decode(run, z[None, :])[0], request.side))

    @app.post("/api/lift", summary="The code at a clicked position of a view")
    def lift(request: LiftRequest) -> dict[str, Any]:
        run = catalogue.run(request.run)
        return payloads.lift(run, ViewSpec.parse(run, request.view, request.pcs), request.position)

    @app.post("/api/path", summary="Decode a path: its strip and off-manifold distances")
    def path(request: PathRequest) -> dict[str, Any]:
        run = catalogue.run(request.run)
        waypoints = np.stack(
            [images.check_code(run, code, f"codes[{k}]") for k, code in enumerate(request.codes)]
        ).astype(np.float64)
        spec = None if request.view is None else ViewSpec.parse(run, request.view, request.pcs)
        return payloads.decode_path_payload(run, spec, waypoints, request.kind, request.n_points)
