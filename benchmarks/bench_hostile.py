"""What hostile answers cost the parser, next to a normal answer of a similar body size.

Every case is a body as the HTTP adapter would hand it to ``parse_document``, with the body
cap (``--cap-mib``, 512 MiB by default as in the adapter) as the ZIP cap. Each runs in a fresh
process, which reports its time and the growth of its peak resident set (VmHWM), so one case's
memory cannot hide another's:

* baseline: a normal year of day-ahead prices for NL (A44, PT60M, curve A03), 365 daily
  Periods of 24 Points, built from the recorded ``market_121d_day_ahead_prices_NL`` answer.
* zip_bomb: a ZIP body of one deflated member that inflates to 64 MiB past the cap (a real
  document's start, then blanks); refused with BodyTooLarge once the cap is passed.
* huge_position: the recorded one-day answer with its last position 24 set to 2*10^7 (the
  case that took 2.8 GB and 92 s before positions were bounded); a DocumentFault.
* position_1e9: the same with position 10^9 (an OverflowError before); a DocumentFault.
* period_to_9999: the recorded answer with its Period ending in the year 9999 (an A03
  curve repeated hourly for eight millennia); a DocumentFault.
* long_curves: the recorded series repeated 200 times, each one Period of a year at PT1M
  giving only its first position, so A03 would fill in 105 million points; refused with
  BodyTooLarge once the points filled in would take more than the cap in memory.

Run from the repository root: ``python benchmarks/bench_hostile.py`` (``--cap-mib 64`` for a
quicker look; the ZIP bomb's time and memory follow the cap, the others do not).
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

from lxml import etree

from adapters.entsoe_xml import Acknowledgement, parse_document
from entsoe_core.errors import SourceError

FIXTURE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "fixtures"
    / "entsoe"
    / "market_121d_day_ahead_prices_NL.xml"
)
CASES = ("baseline", "zip_bomb", "huge_position", "position_1e9", "period_to_9999", "long_curves")
_BLANKS = b" " * 2**20


def _instant(text: str, days: int) -> str:
    moved = datetime.fromisoformat(text) + timedelta(days=days)
    return moved.strftime("%Y-%m-%dT%H:%MZ")


def year_of_prices() -> bytes:
    """The recorded day repeated as 365 daily Periods, each a day later than the one before."""
    tree = etree.parse(str(FIXTURE), etree.XMLParser(resolve_entities=False, no_network=True))
    series = tree.getroot().find("{*}TimeSeries")
    day = series.find("{*}Period") if series is not None else None
    if series is None or day is None:
        raise SystemExit(f"{FIXTURE} has no TimeSeries/Period where expected")
    for offset in range(1, 365):
        period = copy.deepcopy(day)
        for bound in period.iterfind("{*}timeInterval/*"):
            bound.text = _instant(bound.text or "", offset)
        series.append(period)
    written: bytes = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    return written


def long_curves() -> bytes:
    """200 copies of the recorded series, each a year of minutes with only position 1 given."""
    tree = etree.parse(str(FIXTURE), etree.XMLParser(resolve_entities=False, no_network=True))
    series = tree.getroot().find("{*}TimeSeries")
    period = series.find("{*}Period") if series is not None else None
    if series is None or period is None:
        raise SystemExit(f"{FIXTURE} has no TimeSeries/Period where expected")
    for bound, text in zip(
        period.iterfind("{*}timeInterval/*"),
        ("2023-01-01T00:00Z", "2024-01-01T00:00Z"),
        strict=True,
    ):
        bound.text = text
    resolution = period.find("{*}resolution")
    if resolution is not None:
        resolution.text = "PT1M"
    for point in period.findall("{*}Point")[1:]:
        period.remove(point)
    for number in range(2, 201):
        copied = copy.deepcopy(series)
        mrid = copied.find("{*}mRID")
        if mrid is not None:
            mrid.text = str(number)
        classification = etree.SubElement(
            copied,
            etree.QName(series, "classificationSequence_AttributeInstanceComponent.position"),
        )
        classification.text = str(number)
        series.addnext(copied)
    written: bytes = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    return written


def zip_bomb(cap: int) -> bytes:
    """One deflated member: the recorded document's first 400 bytes, then blanks past the cap."""
    target = Path(tempfile.mkstemp(suffix=".zip")[1])
    try:
        with (
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive,
            archive.open("answer.xml", "w", force_zip64=True) as member,
        ):
            member.write(FIXTURE.read_bytes()[:400])
            for _ in range(cap // len(_BLANKS) + 64):
                member.write(_BLANKS)
        return target.read_bytes()
    finally:
        target.unlink()


def edited(old: str, new: str, count: int = 1) -> bytes:
    text = FIXTURE.read_text()
    if text.count(old) < count:
        raise SystemExit(f"{FIXTURE} no longer holds {old!r}")
    return text.replace(old, new, count).encode()


def build(case: str, cap: int) -> bytes:
    if case == "baseline":
        return year_of_prices()
    if case == "zip_bomb":
        return zip_bomb(cap)
    if case == "huge_position":
        return edited("<position>24</position>", "<position>20000000</position>")
    if case == "position_1e9":
        return edited("<position>24</position>", "<position>1000000000</position>")
    if case == "long_curves":
        return long_curves()
    return edited("<end>2024-09-02T22:00Z</end>", "<end>9999-12-31T23:00Z</end>", 2)


def peak_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise SystemExit("this benchmark reads VmHWM from /proc/self/status (Linux only)")


def measure(path: Path, cap: int) -> None:
    """In a fresh process: parse one body, print seconds, peak RSS growth and the outcome."""
    body = path.read_bytes()
    before = peak_rss_kib()
    started = time.perf_counter()
    try:
        parsed = parse_document(body, label=path.name, max_member_bytes=cap)
    except SourceError as error:
        outcome = f"{type(error).__name__}: {error}"
    else:
        points = 0 if isinstance(parsed, Acknowledgement) else sum(len(s.points) for s in parsed)
        outcome = f"{points:,} points"
    seconds = time.perf_counter() - started
    print(json.dumps([seconds, (peak_rss_kib() - before) / 1024, outcome]))


def in_child(path: Path, cap: int) -> tuple[float, float, str]:
    output = subprocess.run(
        [sys.executable, __file__, "--measure", str(path), str(cap)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    seconds, mib, outcome = json.loads(output)
    return float(seconds), float(mib), str(outcome)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cap-mib", type=int, default=512)
    parser.add_argument("--measure", nargs=2, metavar=("FILE", "CAP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(Path(args.measure[0]), int(args.measure[1]))
        return
    cap = args.cap_mib * 2**20
    print(f"body cap {args.cap_mib} MiB; python {sys.version.split()[0]}, lxml {etree.__version__}")
    print()
    print("| case | body KiB | seconds | peak RSS growth MiB | outcome |")
    print("|---|---:|---:|---:|---|")
    messages = []
    with tempfile.TemporaryDirectory() as folder:
        for case in CASES:
            path = Path(folder) / case
            path.write_bytes(build(case, cap))
            seconds, mib, outcome = in_child(path, cap)
            size = path.stat().st_size / 1024
            print(f"| {case} | {size:,.0f} | {seconds:.2f} | {mib:.1f} | {outcome.split(':')[0]} |")
            messages.append(outcome)
    print()
    print("\n".join(messages))


if __name__ == "__main__":
    main()
