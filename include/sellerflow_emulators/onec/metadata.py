"""``$metadata``: the EDMX (CSDL, XML only) description of the published objects.

1C:Enterprise 8.3 Developer Guide §17.4.7: ``GET …/standard.odata/$metadata`` returns
the entity types, their properties and functions as CSDL XML in namespace
``StandardODATA``; there is no JSON form. Only the objects the emulator serves appear, as
on a real base whose OData composition was set with
``УстановитьСоставСтандартногоИнтерфейсаOData``.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from sellerflow_emulators.onec.query import EntitySet

_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<edmx:Edmx xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" Version="1.0">\n'
    '<edmx:DataServices xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"'
    ' m:DataServiceVersion="3.0">\n'
    '<Schema xmlns="http://schemas.microsoft.com/ado/2009/11/edm" Namespace="StandardODATA">\n'
)


def _properties(props: dict, indent: str = "  ") -> list[str]:
    lines = []
    for name, prop in props.items():
        lines.append(f'{indent}<Property Name={quoteattr(name)} Type={quoteattr(prop.edm)} Nullable="true"/>')
    return lines


def build_metadata(entity_sets: dict[str, EntitySet], functions: dict[str, tuple[str, ...]]) -> str:
    """CSDL for the given entity sets and bound functions (set name -> function names)."""
    out = [_HEADER]
    for entity in entity_sets.values():
        out.append(f"<EntityType Name={quoteattr(entity.name)}>")
        out.append("  <Key>" + "".join(f"<PropertyRef Name={quoteattr(k)}/>" for k in entity.key) + "</Key>")
        out += _properties(entity.props)
        for collection in entity.tabular.values():
            row_type = f"StandardODATA.{collection.row_type}_RowType"
            out.append(f"  <Property Name={quoteattr(collection.name)} Type={quoteattr(f'Collection({row_type})')}"
                       ' Nullable="false"/>')  # fmt: skip
        out.append("</EntityType>")
        for collection in entity.tabular.values():
            out.append(f"<ComplexType Name={quoteattr(collection.row_type + '_RowType')}>")
            out += _properties(collection.props)
            out.append("</ComplexType>")
    out.append('<EntityContainer Name="EnterpriseV8" m:IsDefaultEntityContainer="true">')
    for name in entity_sets:
        out.append(f"  <EntitySet Name={quoteattr(name)} EntityType={quoteattr('StandardODATA.' + name)}/>")
    for set_name, names in functions.items():
        for function in names:
            out.append(
                f'  <FunctionImport Name={quoteattr(function)} IsBindable="true"'
                f' EntitySet={quoteattr(set_name)} m:HttpMethod="GET"/>'
            )
    out.append("</EntityContainer>\n</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n")
    return "\n".join(out)
