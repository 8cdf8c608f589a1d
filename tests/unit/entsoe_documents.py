"""Render small ENTSO-E documents for tests, and find the recorded real ones."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

# tests/unit/this.py -> the repository -> its parent, where the shared fixtures live.
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "entsoe"
if not (FIXTURES / "MANIFEST.md").is_file():
    raise RuntimeError(
        f"the recorded ENTSO-E fixtures are missing: expected {FIXTURES}/MANIFEST.md next to "
        "the repository (its parent folder 'shared'); the parser tests cannot run without them"
    )

GL_NAMESPACE = "urn:iec62325.351:tc57wg16:451-6:generationloaddocument:3:0"
PUBLICATION_NAMESPACE = "urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:3"


def fixture_documents() -> list[Path]:
    return sorted(FIXTURES.glob("*.xml"))


@dataclass
class PeriodSpec:
    start: datetime
    end: datetime
    resolution: str
    points: Sequence[tuple[int, float]]


@dataclass
class SeriesSpec:
    periods: Sequence[PeriodSpec]
    curve_type: str = "A03"
    business_type: str = "A16"
    psr_type: str = ""
    in_domain: str = ""
    out_domain: str = ""
    classification_position: str = ""
    unit: str = "MAW"
    extra: str = ""


@dataclass
class DocumentSpec:
    series: Sequence[SeriesSpec] = field(default_factory=list)
    root: str = "GL_MarketDocument"
    namespace: str = GL_NAMESPACE
    document_type: str = "A75"
    process_type: str = "A16"
    revision: int = 1
    created: str = "2024-09-02T10:00:00Z"


def _instant(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%MZ")


def render(spec: DocumentSpec) -> bytes:
    """A document in the layout the API uses (fields in schema order)."""
    prices = spec.root == "Publication_MarketDocument"
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<{spec.root} xmlns="{spec.namespace}">',
        "<mRID>test</mRID>",
        f"<revisionNumber>{spec.revision}</revisionNumber>",
        f"<type>{spec.document_type}</type>",
    ]
    if spec.process_type:
        out.append(f"<process.processType>{spec.process_type}</process.processType>")
    out.append(f"<createdDateTime>{spec.created}</createdDateTime>")
    for number, series in enumerate(spec.series, 1):
        out += ["<TimeSeries>", f"<mRID>{number}</mRID>"]
        out.append(f"<businessType>{series.business_type}</businessType>")
        if series.in_domain:
            name = "in_Domain" if prices else "inBiddingZone_Domain"
            out.append(f'<{name}.mRID codingScheme="A01">{series.in_domain}</{name}.mRID>')
        if series.out_domain:
            name = "out_Domain" if prices else "outBiddingZone_Domain"
            out.append(f'<{name}.mRID codingScheme="A01">{series.out_domain}</{name}.mRID>')
        if "/" in series.unit:
            currency, measure = series.unit.split("/")
            out.append(f"<currency_Unit.name>{currency}</currency_Unit.name>")
            out.append(f"<price_Measure_Unit.name>{measure}</price_Measure_Unit.name>")
        else:
            out.append(f"<quantity_Measure_Unit.name>{series.unit}</quantity_Measure_Unit.name>")
        if series.curve_type:
            out.append(f"<curveType>{series.curve_type}</curveType>")
        if series.classification_position:
            out.append(
                "<classificationSequence_AttributeInstanceComponent.position>"
                f"{series.classification_position}"
                "</classificationSequence_AttributeInstanceComponent.position>"
            )
        if series.psr_type:
            out.append(f"<MktPSRType><psrType>{series.psr_type}</psrType></MktPSRType>")
        out.append(series.extra)
        value_name = "price.amount" if "/" in series.unit else "quantity"
        for period in series.periods:
            out += [
                "<Period>",
                f"<timeInterval><start>{_instant(period.start)}</start>"
                f"<end>{_instant(period.end)}</end></timeInterval>",
                f"<resolution>{escape(period.resolution)}</resolution>",
            ]
            for position, value in period.points:
                out.append(
                    f"<Point><position>{position}</position>"
                    f"<{value_name}>{value!r}</{value_name}></Point>"
                )
            out.append("</Period>")
        out.append("</TimeSeries>")
    out.append(f"</{spec.root}>")
    return "\n".join(out).encode()


def acknowledgement(text: str, code: str = "999") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Acknowledgement_MarketDocument xmlns="urn:iec62325.351:tc57wg16:451-1:'
        'acknowledgementdocument:7:0">\n'
        "<mRID>ack</mRID><createdDateTime>2024-09-02T10:00:00Z</createdDateTime>\n"
        f"<Reason><code>{code}</code><text>{escape(text)}</text></Reason>\n"
        "</Acknowledgement_MarketDocument>\n"
    ).encode()


def zipped(members: Sequence[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()
