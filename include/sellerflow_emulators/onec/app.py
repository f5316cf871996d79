"""FastAPI app: every infobase in ``onec_bases`` at ``/<base_id>/odata/standard.odata/``.

Wire behaviour (1C:Enterprise 8.3 Developer Guide §17.4; shared docs part C):
- HTTP Basic auth with the infobase user (``onec_bases.username/password``); a wrong or
  missing user gets HTTP 401 with a Basic challenge and an ``odata.error`` (code 20) — the
  exact challenge realm and text of the 1C web extension are not documented [?].
- JSON only: ``$format=json`` / ``$format=application/json;odata=minimalmetadata|nometadata|
  fullmetadata`` or ``Accept: application/json``. Atom-XML (1C's default) is not
  emulated and is refused with code 3; ``$metadata`` is XML as on a real base.
- Rate limits: the publication's session pool (``poolSize`` in default.vrd) is the only
  throttle a 1C base has; when ``state.limits`` refuses, the emulator answers HTTP 503
  with ``Retry-After`` and an ``odata.error`` (code -1) [?: real text not documented].
- Faults (``state.faults``): ``server_error`` -> 500 + code -1 (or the web server's HTML
  page for 502/503/504), ``slow``/``timeout`` -> delay, ``expired_token`` -> the web
  client's HTML login page with HTTP 200 (what a misconfigured publication does, C6),
  ``duplicate_page``/``shifted_page`` -> ``$skip`` moved in list reads,
  ``schema_extra_field``/``schema_renamed_field`` -> list items changed (a renamed
  attribute gets 1C's ``Удалить`` prefix, as obsolete attributes do in typical configs).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import math
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from sellerflow_emulators.onec import errors
from sellerflow_emulators.onec.documents import DocumentWriter
from sellerflow_emulators.onec.entities import all_entity_sets, register_sql_functions
from sellerflow_emulators.onec.errors import ODataError, error_response, not_found
from sellerflow_emulators.onec.ids import from_local
from sellerflow_emulators.onec.listing import Lister, ListOptions, parse_int_option, selection
from sellerflow_emulators.onec.metadata import build_metadata
from sellerflow_emulators.onec.odata_filter import parse_filter
from sellerflow_emulators.onec.query import DOUBLE, Compiled, EntitySet, Prop
from sellerflow_emulators.onec.registers import (
    BALANCE_REGISTERS,
    DIMENSIONS,
    PRICE_PROPS,
    PRICE_REGISTERS,
    balance_view,
    slice_view,
)
from sellerflow_emulators.onec.urls import Segment, literal_value, named_args, parse_resource, split_args
from sellerflow_emulators.runtime import EmulatorState, Fault, format_ts

VENDOR = "onec"
LIMIT_GROUP = "odata"
JSON_TYPE = "application/json;charset=utf-8"
METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE", "MERGE"]
QUERY_OPTIONS = ("$filter", "$orderby", "$select", "$top", "$skip", "$inlinecount", "$format", "$expand")


@dataclass
class Request1C:
    """Everything the synchronous part of a request needs."""

    base_id: str
    resource: str
    method: str
    query: dict[str, str]
    accept: str
    if_match: str | None
    body: bytes
    root: str
    fault: Fault | None


class ODataService:
    """Routing and rendering for the standard OData interface of every base."""

    def __init__(
        self, state: EmulatorState, tz_name: str, enforce_if_match: bool, fill_checks: bool = True
    ) -> None:
        self.state = state
        self.fill_checks = fill_checks
        self.tz = ZoneInfo(tz_name)
        self.enforce_if_match = enforce_if_match
        self.sets = all_entity_sets()
        self.metadata = build_metadata(self._metadata_sets(), self._functions())

    def tz_offset(self) -> int:
        """Minutes east of UTC of the server's zone right now."""
        offset = datetime.now(self.tz).utcoffset()
        return int(offset.total_seconds() // 60) if offset else 0

    def _metadata_sets(self) -> dict[str, EntitySet]:
        sets = dict(self.sets)
        for register in BALANCE_REGISTERS.values():
            props = {d: DIMENSIONS[d] for d in register.dimensions}
            props |= {f"{r}Balance": Prop("", DOUBLE) for r in register.resources}
            sets[register.name] = EntitySet(register.name, "", "", props, key=register.dimensions)
        for name in PRICE_REGISTERS:
            sets[name] = EntitySet(
                name, "", "", PRICE_PROPS, key=("Period", "Номенклатура_Key", "ВидЦены_Key")
            )
        return sets

    @staticmethod
    def _functions() -> dict[str, tuple[str, ...]]:
        functions: dict[str, tuple[str, ...]] = {name: ("Balance",) for name in BALANCE_REGISTERS}
        functions |= {name: ("SliceLast", "SliceFirst") for name in PRICE_REGISTERS}
        return functions

    # -- async entry --------------------------------------------------------------------
    async def handle(self, base_id: str, resource: str, request: Request) -> Response:
        """Serve one request: base lookup, faults, auth, limits, then the OData work."""
        base = await run_in_threadpool(self._base, base_id)
        if base is None:
            return HTMLResponse("<html><body><h1>Not Found</h1></body></html>", status_code=404)
        fault = self.state.faults.next(VENDOR, request.url.path)
        early = await self._fault_response(fault)
        if early is not None:
            return early
        if not _authorized(request.headers.get("authorization"), base):
            return error_response(
                401,
                errors.ACCESS_DENIED,
                "Идентификация пользователя не выполнена",
                {"WWW-Authenticate": 'Basic realm="1C:Enterprise"'},
            )
        decision = self.state.limits.acquire(VENDOR, LIMIT_GROUP, base_id)
        if not decision.allowed:
            return error_response(
                503,
                errors.INTERNAL,
                "Превышено количество одновременных сеансов публикации (poolSize). Повторите запрос позже.",
                {"Retry-After": str(max(1, math.ceil(decision.retry_after_s)))},
            )
        try:
            call = Request1C(
                base_id=base_id,
                resource=resource,
                method=request.method,
                query=dict(request.query_params),
                accept=request.headers.get("accept", ""),
                if_match=request.headers.get("if-match"),
                body=await request.body(),
                root=f"{str(request.base_url).rstrip('/')}/{base_id}/odata/standard.odata",
                fault=fault,
            )
            return await run_in_threadpool(self._dispatch, call)
        except ODataError as exc:
            return exc.response()
        finally:
            self.state.limits.release(VENDOR, LIMIT_GROUP, base_id)

    def _base(self, base_id: str) -> dict | None:
        row = self.state.conn().execute("select * from onec_bases where id = ?", (base_id,)).fetchone()
        return dict(row) if row else None

    async def _fault_response(self, fault: Fault | None) -> Response | None:
        if fault is None:
            return None
        if fault.kind == "server_error":
            if fault.status == 500:
                return error_response(500, errors.INTERNAL, "Произошла внутренняя ошибка OData-сервиса.")
            return errors.web_server_error(fault.status)
        if fault.kind == "expired_token":
            return errors.html_login_page()
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay_s)
        elif fault.kind == "timeout":
            await asyncio.sleep(fault.delay_s or 120.0)
        return None

    # -- synchronous dispatch -----------------------------------------------------------
    def _dispatch(self, call: Request1C) -> Response:
        conn = self.state.conn()
        register_sql_functions(conn)
        segments = parse_resource(call.resource.strip("/")).segments
        if not segments:
            return self._service_document(call)
        if segments[0].name == "$metadata":
            return Response(self.metadata, media_type="application/xml;charset=utf-8", headers=_DSV)
        metadata = _json_level(call)
        head = segments[0]
        if head.name in BALANCE_REGISTERS or head.name in PRICE_REGISTERS:
            return self._virtual_table(call, segments, metadata)
        entity = self.sets.get(head.name)
        if entity is None:
            raise ODataError(404, errors.ENTITY_TYPE_NOT_FOUND, f'Тип сущности "{head.name}" не найден')
        rest = segments[1:]
        if head.args is None:
            return self._collection(call, entity, rest, metadata)
        return self._instance(call, entity, head, rest, metadata)

    def _context(self, call: Request1C) -> tuple[dict[str, object], str]:
        clock = format_ts(self.state.now())
        return {"base": call.base_id, "clock": clock}, clock

    def _service_document(self, call: Request1C) -> Response:
        if call.method != "GET":
            raise _method_not_allowed(call.method)
        names = list(self.sets) + list(BALANCE_REGISTERS) + list(PRICE_REGISTERS)
        body = {"odata.metadata": f"{call.root}/$metadata", "value": [{"name": n, "url": n} for n in names]}
        return _json(body)

    def _collection(self, call: Request1C, entity: EntitySet, rest: list[Segment], metadata: str) -> Response:
        params, clock = self._context(call)
        lister = Lister(self.state.conn(), entity, params, self.tz, self.tz_offset())
        if rest:
            if len(rest) == 1 and rest[0].name == "$count" and call.method == "GET":
                raw = call.query.get("$filter")
                count = lister.count(parse_filter(raw) if raw else None)
                return PlainTextResponse("\ufeff" + str(count), headers=_DSV)
            raise ODataError(400, errors.BAD_URL, f"Неверный URL: лишние сегменты после {entity.name}")
        if call.method == "GET":
            return self._list(call, lister, metadata, f"{entity.name}")
        if call.method == "POST":
            if entity.name.endswith("_Товары"):
                raise ODataError(
                    400,
                    errors.TABULAR_ROW_CREATE,
                    "Создание строк табличных частей напрямую не поддерживается",
                )
            if entity.read_only:
                raise ODataError(
                    501, errors.NOT_SUPPORTED, f"Создание {entity.name} не поддерживается эмулятором"
                )
            writer = DocumentWriter(self.state.conn(), call.base_id, self.tz, clock, self.fill_checks)
            ref = writer.create(entity, _body(call), f"/{call.base_id}/odata/standard.odata/{call.resource}")
            response = self._single(call, lister, ref, metadata)
            response.status_code = 201
            # Header values are Latin-1 on the wire: the Cyrillic set name goes percent-encoded.
            response.headers["Location"] = quote(f"{call.root}/{entity.name}(guid'{ref}')", safe=":/()'=,")
            return response
        raise _method_not_allowed(call.method)

    def _instance(
        self, call: Request1C, entity: EntitySet, head: Segment, rest: list[Segment], metadata: str
    ) -> Response:
        params, clock = self._context(call)
        lister = Lister(self.state.conn(), entity, params, self.tz, self.tz_offset())
        key = _parse_key(entity, head.args or "")
        path = f"/{call.base_id}/odata/standard.odata/{call.resource}"
        writer = DocumentWriter(self.state.conn(), call.base_id, self.tz, clock, self.fill_checks)
        if_match = call.if_match if self.enforce_if_match else None
        if rest:
            action = rest[0].name
            if len(rest) == 1 and action in ("Post", "Unpost") and entity.doc_type:
                if call.method != "POST":
                    raise _method_not_allowed(call.method)
                ref = str(key["Ref_Key"])
                (writer.post if action == "Post" else writer.unpost)(entity, ref, path)
                return Response(status_code=200, headers=_DSV)
            if len(rest) == 1 and action in entity.props:
                raise ODataError(
                    501, errors.NOT_SUPPORTED, "Получение свойства «через точку» не поддерживается эмулятором"
                )
            raise ODataError(400, errors.METHOD_NOT_FOUND, f"Метод {action} не найден")
        if call.method == "GET":
            return self._single(call, lister, key, metadata)
        if entity.read_only:
            raise ODataError(501, errors.NOT_SUPPORTED, f"Запись {entity.name} не поддерживается эмулятором")
        ref = str(key["Ref_Key"])
        if call.method in ("PATCH", "PUT", "MERGE"):
            writer.update(entity, ref, _body(call), path, if_match)
            return self._single(call, lister, ref, metadata)
        if call.method == "DELETE":
            writer.delete(entity, ref, path, if_match)
            return Response(status_code=204, headers=_DSV)
        raise _method_not_allowed(call.method)

    def _single(self, call: Request1C, lister: Lister, key: dict | str, metadata: str) -> Response:
        entity = lister.entity
        if isinstance(key, str):
            key = {"Ref_Key": key}
        where = " and ".join(f"{entity.props[name].sql} = :k{i}" for i, name in enumerate(key))
        rows = lister.fetch(ListOptions(), where, {f"k{i}": value for i, value in enumerate(key.values())})
        if not rows:
            raise not_found(entity.name.split("_", 1)[-1])
        item = lister.render(rows[0], selection(call.query.get("$select")), metadata != "nometadata")
        if metadata == "nometadata":
            return _json(item)
        return _json({"odata.metadata": f"{call.root}/$metadata#{entity.name}/@Element", **item})

    def _list(self, call: Request1C, lister: Lister, metadata: str, fragment: str) -> Response:
        if call.query.get("$expand"):
            raise ODataError(501, errors.NOT_SUPPORTED, "Параметр $expand не поддерживается эмулятором")
        options = _options(call)
        options = _shift_page(options, call.fault)
        rows = lister.fetch(options)
        links = metadata != "nometadata"
        items = [lister.render(row, selection(call.query.get("$select")), links) for row in rows]
        items = _schema_fault(items, call.fault, lister.entity)
        body: dict[str, object] = {}
        if links:
            body["odata.metadata"] = f"{call.root}/$metadata#{fragment}"
        if options.inlinecount:
            body["odata.count"] = str(len(items))
        body["value"] = items
        return _json(body)

    def _virtual_table(self, call: Request1C, segments: list[Segment], metadata: str) -> Response:
        register_name = segments[0].name
        if len(segments) != 2 or segments[0].args is not None:
            raise ODataError(
                501,
                errors.NOT_SUPPORTED,
                f"Записи {register_name} не поддерживаются эмулятором; используйте виртуальные таблицы",
            )
        if call.method != "GET":
            raise _method_not_allowed(call.method)
        function = segments[1]
        args = named_args(function.args)
        args |= {k: v for k, v in call.query.items() if not k.startswith("$") and k != "allowedOnly"}
        params, clock = self._context(call)
        bound = Compiled(dict(params))
        if register_name in BALANCE_REGISTERS and function.name == "Balance":
            if "Period" in args:
                _period(args["Period"])
            view = balance_view(BALANCE_REGISTERS[register_name], args, bound, self.tz_offset())
        elif register_name in PRICE_REGISTERS and function.name in ("SliceLast", "SliceFirst"):
            period = _period(args["Period"]) if "Period" in args else clock
            view = slice_view(function.name, args, bound, self.tz_offset(), min(period, clock))
        else:
            raise ODataError(400, errors.METHOD_NOT_FOUND, f"Метод {function.name} не найден")
        lister = Lister(self.state.conn(), view, bound.params, self.tz, self.tz_offset())
        return self._list(call, lister, metadata, f"{register_name}_{function.name}")


def _period(raw: str) -> str:
    value = literal_value(raw)
    try:
        return from_local(str(value))
    except ValueError:
        raise ODataError(501, errors.FUNCTION_ERROR, f"Неверное значение параметра Period: {raw}") from None


_DSV = {"DataServiceVersion": "3.0"}


def _json(body: object, status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False).encode("utf-8"),
        status_code=status,
        media_type=JSON_TYPE,
        headers=_DSV,
    )


def _json_level(call: Request1C) -> str:
    fmt = call.query.get("$format", "").lower()
    if fmt in ("json", "application/json") or fmt.startswith("application/json"):
        for level in ("nometadata", "fullmetadata"):
            if level in fmt:
                return level
        return "minimalmetadata"
    if not fmt and "application/json" in call.accept.lower():
        return "nometadata" if "nometadata" in call.accept.lower() else "minimalmetadata"
    raise ODataError(
        406,
        errors.REPRESENTATION_NOT_SUPPORTED,
        "Формат atom-xml не поддерживается эмулятором; укажите $format=json",
    )


def _authorized(header: str | None, base: dict) -> bool:
    if not header or not header.lower().startswith("basic "):
        return False
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, sep, password = decoded.partition(":")
    return bool(sep) and user == base["username"] and password == base["password"]


def _method_not_allowed(method: str) -> ODataError:
    return ODataError(
        405, errors.METHOD_NOT_ALLOWED, f"Использованный HTTP-метод {method} запрещен в данном контексте"
    )


def _body(call: Request1C) -> dict:
    try:
        body = json.loads(call.body.decode("utf-8-sig") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ODataError(400, errors.BAD_REQUEST, "Неверный формат запроса: тело не является JSON") from None
    if not isinstance(body, dict):
        raise ODataError(400, errors.BAD_REQUEST, "Неверный формат запроса: ожидается объект JSON")
    return body


def _parse_key(entity: EntitySet, text: str) -> dict[str, object]:
    parts = split_args(text)
    if len(parts) == 1 and not parts[0].split("'")[0].count("="):
        if len(entity.key) != 1:
            raise ODataError(400, "7", "Не хватает элемента ключа сущности")
        return {entity.key[0]: literal_value(parts[0])}
    values = named_args(text)
    missing = [name for name in entity.key if name not in values]
    if missing:
        raise ODataError(400, "7", f"Не хватает элемента ключа сущности: {missing[0]}")
    return {name: literal_value(values[name]) for name in entity.key}


def _options(call: Request1C) -> ListOptions:
    raw_filter = call.query.get("$filter")
    inline = call.query.get("$inlinecount", "none").lower()
    if inline not in ("none", "allpages"):
        raise errors.query_option_error(f"неверное значение $inlinecount: {inline}")
    return ListOptions(
        filter=parse_filter(raw_filter) if raw_filter else None,
        orderby=call.query.get("$orderby") or None,
        select=call.query.get("$select") or None,
        top=parse_int_option("$top", call.query.get("$top")),
        skip=parse_int_option("$skip", call.query.get("$skip")) or 0,
        inlinecount=inline == "allpages",
    )


def _shift_page(options: ListOptions, fault: Fault | None) -> ListOptions:
    if fault is None or options.inlinecount:
        return options
    if fault.kind == "duplicate_page" and options.top:
        return ListOptions(options.filter, options.orderby, options.select, options.top,
                           max(0, options.skip - options.top), options.inlinecount)  # fmt: skip
    if fault.kind == "shifted_page":
        return ListOptions(options.filter, options.orderby, options.select, options.top,
                           max(0, options.skip + fault.shift), options.inlinecount)  # fmt: skip
    return options


def _schema_fault(items: list[dict], fault: Fault | None, entity: EntitySet) -> list[dict]:
    if fault is None or fault.kind not in ("schema_extra_field", "schema_renamed_field"):
        return items
    if fault.kind == "schema_extra_field":
        extra = fault.field or "ДополнительныйРеквизит"
        return [{**item, extra: ""} for item in items]
    standard = {"Ref_Key", "DataVersion", "DeletionMark", "Code", "Description", "Number", "Date", "Posted"}
    target = fault.field or next((name for name in entity.props if name not in standard), None)
    if target is None:
        return items
    return [{(f"Удалить{k}" if k == target else k): v for k, v in item.items()} for item in items]


def create_app(
    state: EmulatorState,
    *,
    timezone: str = "Europe/Moscow",
    enforce_if_match: bool = False,
    fill_checks: bool = True,
) -> FastAPI:
    """The 1C:УТ 11 standard OData emulator for every base in ``onec_bases``.

    ``timezone`` is the 1C server's zone (dates are served as its local time);
    ``enforce_if_match`` turns on 412 for a stale ``If-Match`` (shared docs uncertainty 8:
    real bases reportedly ignore it, so it is off by default); ``fill_checks`` switches УТ's
    fill checks at posting (documents.py; their texts are not sourced [?]).
    """
    app = FastAPI(title="1C:УТ 11 standard OData (emulator)", docs_url=None, redoc_url=None, openapi_url=None)
    service = ODataService(state, timezone, enforce_if_match, fill_checks)

    @app.api_route("/{base_id}/odata/standard.odata", methods=METHODS)
    async def root(base_id: str, request: Request) -> Response:
        return await service.handle(base_id, "", request)

    @app.api_route("/{base_id}/odata/standard.odata/{resource:path}", methods=METHODS)
    async def resource(base_id: str, resource: str, request: Request) -> Response:
        return await service.handle(base_id, resource, request)

    return app
