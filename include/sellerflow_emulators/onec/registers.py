"""Register virtual tables: ``<AccumulationRegister>/Balance`` and ``<InformationRegister>/SliceLast``.

Per 1C:Enterprise 8.3 Developer Guide §17.4.4 («Имя виртуальной таблицы регистра») and
§17.4.9, a virtual table is a function bound to the register's entity set, named like the
query-language table in English, with the table's parameters as ``Name=value`` pairs
either in parentheses or in the query string (both forms occur, shared docs uncertainty
12): ``Balance(Period=datetime'…',Condition='Склад_Key eq guid''…''')``. ``Condition`` is a
filter over the register's dimensions; ``Dimensions`` lists the dimensions to total by
(the others are dropped). Resource columns carry the English suffix: ``ВНаличииBalance``.

Registers served (УТ 11.5 dump, shared docs C7): ``ТоварыНаСкладах`` (``ВНаличии``,
``КОтгрузке``), ``ЗапасыИПотребности`` (``ВНаличии``, ``РезервироватьНаСкладе``,
``РезервироватьПоМереПоступления``) and the older ``СвободныеОстатки`` (``ВНаличии``,
``ВРезервеСоСклада``, ``ВРезервеПодЗаказ``). All read ``onec_stock``: ``in_stock`` is on
hand, ``reserved`` is what posted ЗаказКлиента lines with ВариантОбеспечения = СоСклада
hold. The world keeps current balances only, so ``Period`` is validated but not applied.
Prices: ``InformationRegister_ЦеныНоменклатуры`` (and its ``_RecordType`` form for
recorder-subordinate registers) ``/SliceLast`` and ``/SliceFirst`` over ``onec_prices``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sellerflow_emulators.onec.entities import EMPTY, RUB
from sellerflow_emulators.onec.errors import FUNCTION_ERROR, ODataError
from sellerflow_emulators.onec.odata_filter import parse_filter
from sellerflow_emulators.onec.query import DATETIME, DOUBLE, GUID, Compiled, EntitySet, Prop, SqlCompiler

STOCK_FROM = "from onec_stock s join warehouses w on w.id = s.warehouse_id join products p on p.ref_key = s.product_ref"
STOCK_WHERE = "p.base_id = :base and w.owner = 'onec:' || :base"

DIMENSIONS: dict[str, Prop] = {
    "Номенклатура_Key": Prop("s.product_ref", GUID, nav="Catalog_Номенклатура"),
    "Характеристика_Key": Prop(EMPTY, GUID, nav="Catalog_ХарактеристикиНоменклатуры"),
    "Назначение_Key": Prop(EMPTY, GUID, nav="Catalog_Назначения"),
    "Склад_Key": Prop("w.external_id", GUID, nav="Catalog_Склады"),
    "Помещение_Key": Prop(EMPTY, GUID, nav="Catalog_СкладскиеПомещения"),
    "Серия_Key": Prop(EMPTY, GUID, nav="Catalog_СерииНоменклатуры"),
}


@dataclass(frozen=True)
class BalanceRegister:
    """An accumulation register whose Balance reads onec_stock."""

    name: str
    dimensions: tuple[str, ...]
    resources: dict[str, str]  # resource name -> SQL summed per row


BALANCE_REGISTERS = {
    reg.name: reg
    for reg in (
        BalanceRegister(
            "AccumulationRegister_ТоварыНаСкладах",
            (
                "Номенклатура_Key",
                "Характеристика_Key",
                "Назначение_Key",
                "Склад_Key",
                "Помещение_Key",
                "Серия_Key",
            ),
            {"ВНаличии": "s.in_stock", "КОтгрузке": "s.reserved"},
        ),
        BalanceRegister(
            "AccumulationRegister_ЗапасыИПотребности",
            ("Номенклатура_Key", "Характеристика_Key", "Склад_Key", "Назначение_Key"),
            {
                "ВНаличии": "s.in_stock",
                "РезервироватьНаСкладе": "s.reserved",
                "РезервироватьПоМереПоступления": "0",
            },
        ),
        BalanceRegister(
            "AccumulationRegister_СвободныеОстатки",
            ("Номенклатура_Key", "Характеристика_Key", "Склад_Key"),
            {"ВНаличии": "s.in_stock", "ВРезервеСоСклада": "s.reserved", "ВРезервеПодЗаказ": "0"},
        ),
    )
}

PRICE_REGISTERS = ("InformationRegister_ЦеныНоменклатуры", "InformationRegister_ЦеныНоменклатуры_RecordType")

PRICE_PROPS: dict[str, Prop] = {
    "Period": Prop("pr.period", DATETIME),
    "Номенклатура_Key": Prop("pr.product_ref", GUID, nav="Catalog_Номенклатура"),
    "Характеристика_Key": Prop(EMPTY, GUID, nav="Catalog_ХарактеристикиНоменклатуры"),
    "ВидЦены_Key": Prop("onec_guid('price_type', p.base_id, pr.price_type)", GUID, nav="Catalog_ВидыЦен"),
    "Цена": Prop("(pr.price_kop / 100.0)", DOUBLE),
    "Упаковка_Key": Prop(EMPTY, GUID, nav="Catalog_УпаковкиЕдиницыИзмерения"),
    "Валюта_Key": Prop(RUB, GUID, nav="Catalog_Валюты"),
}


def _bad_argument(name: str) -> ODataError:
    # Observed on live bases: unknown virtual-table parameters are refused with HTTP 501.
    return ODataError(501, FUNCTION_ERROR, f"Параметр {name} не поддерживается")


def _condition(args: dict[str, str]) -> str | None:
    raw = args.get("Condition")
    if raw is None:
        return None
    text = raw.strip()
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        text = text[1:-1].replace("''", "'")
    return text


def balance_view(
    register: BalanceRegister, args: dict[str, str], bound: Compiled, tz_offset: int
) -> EntitySet:
    """The Balance virtual table as an entity set over a grouped subquery."""
    for name in args:
        if name not in ("Period", "Condition", "Dimensions"):
            raise _bad_argument(name)
    dims = register.dimensions
    if "Dimensions" in args:
        wanted = [d.strip().strip("'") for d in args["Dimensions"].strip("'").split(",") if d.strip()]
        wanted_keys = [d if d.endswith("_Key") else f"{d}_Key" for d in wanted]
        unknown = [d for d in wanted_keys if d not in dims]
        if unknown:
            raise ODataError(501, FUNCTION_ERROR, f"Измерение {unknown[0].removesuffix('_Key')} не найдено")
        dims = tuple(d for d in register.dimensions if d in wanted_keys)
    raw = EntitySet(register.name, STOCK_FROM, STOCK_WHERE, {d: DIMENSIONS[d] for d in register.dimensions})
    where = STOCK_WHERE
    condition = _condition(args)
    if condition:
        where += " and " + SqlCompiler(raw, bound, tz_offset).predicate(parse_filter(condition))
    select = [f'{DIMENSIONS[d].sql} as "{d}"' for d in dims]
    select += [f'sum({sql}) as "{name}Balance"' for name, sql in register.resources.items()]
    group = f" group by {', '.join(DIMENSIONS[d].sql for d in dims)}" if dims else ""
    inner = f"select {', '.join(select)} {STOCK_FROM} where {where}{group}"
    props = {d: Prop(f'b."{d}"', GUID, nav=DIMENSIONS[d].nav) for d in dims}
    props |= {f"{name}Balance": Prop(f'b."{name}Balance"', DOUBLE) for name in register.resources}
    order = ", ".join(f'b."{d}"' for d in dims)
    return EntitySet(
        register.name, f"from ({inner}) b", "1 = 1", props, key=dims, order_sql=order, nav_links=False
    )


def slice_view(
    function: str, args: dict[str, str], bound: Compiled, tz_offset: int, period_utc: str
) -> EntitySet:
    """``SliceLast``/``SliceFirst`` of ЦеныНоменклатуры at ``period_utc`` as an entity set."""
    for name in args:
        if name not in ("Period", "Condition"):
            raise _bad_argument(name)
    raw = EntitySet(PRICE_REGISTERS[0], "", "", PRICE_PROPS)
    where = "p.base_id = :base and pr.period <= :clock"
    condition = _condition(args)
    if condition:
        where += " and " + SqlCompiler(raw, bound, tz_offset).predicate(parse_filter(condition))
    period = bound.bind(period_utc)
    if function == "SliceLast":
        pick = f"max(x.period) from onec_prices x where x.period <= {period}"
    else:
        pick = f"min(x.period) from onec_prices x where x.period >= {period}"
    where += f" and pr.period = (select {pick} and x.product_ref = pr.product_ref and x.price_type = pr.price_type)"
    return EntitySet(
        PRICE_REGISTERS[0],
        "from onec_prices pr join products p on p.ref_key = pr.product_ref",
        where,
        PRICE_PROPS,
        key=("Номенклатура_Key", "ВидЦены_Key"),
        order_sql="pr.product_ref, pr.price_type",
        nav_links=False,
    )
