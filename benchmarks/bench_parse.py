"""How fast the ENTSO-E parser reads a year of quarter-hours, next to a bare lxml walk.

The document is the recorded ``generation_161bc_actual_per_psr_NL`` answer (A75, NL, PT15M,
20 series, curve A03) scaled from one day to 365: each series' one period is stretched to a
year and its day of points repeated with shifted positions, keeping the real compression.

Four things are measured, each the best of ``--repeat`` runs (the floor and the parser turn
about):

* floor: ``lxml.etree.iterparse`` over the file, counting ``Point`` elements and clearing them;
  nothing is read out. No parser can be faster than this.
* parser: ``parse_document`` on the same file, building every ``Series`` with its points (A03
  positions filled in), as the HTTP adapter does for a chunk.
* entsoe-py: ``entsoe.parsers.parse_generation`` (the parser of the entsoe-py client, installed
  with the development dependencies) on the same file's text, as that client parses an A75
  answer into a pandas DataFrame; the best of ``--entsoe-py-repeat`` runs (it is slow), each
  right after a run of ``parse_document``.
* peak memory, each in a fresh process: the floor, ``parse_document`` (all points kept, which
  is what the chunk's upsert needs), and ``iter_parsed`` with each series dropped once counted
  (what the parse itself needs).

Run: ``python benchmarks/bench_parse.py`` (``--days 30`` for a quicker look).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from lxml import etree

from adapters.entsoe_xml import Acknowledgement, iter_parsed, parse_document

FIXTURE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "fixtures"
    / "entsoe"
    / "generation_161bc_actual_per_psr_NL.xml"
)


def _child(parent: etree._Element, name: str) -> etree._Element:
    found = parent.find(f"{{*}}{name}")
    if found is None:
        raise SystemExit(f"{FIXTURE} has no {name} where expected")
    return found


def build_document(days: int, target: Path) -> tuple[int, int]:
    """Write the scaled document; return (Point elements, points after A03 filling)."""
    if not FIXTURE.is_file():
        raise SystemExit(f"the recorded fixture {FIXTURE} is missing")
    tree = etree.parse(str(FIXTURE), etree.XMLParser(resolve_entities=False, no_network=True))
    elements = 0
    for period in tree.getroot().iter("{*}Period"):
        interval = _child(period, "timeInterval")
        start = datetime.fromisoformat(_child(interval, "start").text or "")
        end = start + timedelta(days=days)
        _child(interval, "end").text = end.strftime("%Y-%m-%dT%H:%MZ")
        day = period.findall("{*}Point")
        for point in day:
            period.remove(point)
        for offset in range(days):
            for point in day:
                copy = etree.SubElement(period, point.tag)
                for field in point:
                    etree.SubElement(copy, field.tag).text = (
                        str(int(field.text or "0") + 96 * offset)
                        if etree.QName(field).localname == "position"
                        else field.text
                    )
                elements += 1
    tree.write(str(target), xml_declaration=True, encoding="UTF-8")
    series = len(tree.getroot().findall("{*}TimeSeries"))
    return elements, series * 96 * days


def floor_walk(path: Path) -> int:
    count = 0
    for _, element in etree.iterparse(str(path), events=("end",), tag="{*}Point"):
        count += 1
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]
    return count


def parse_all(path: Path) -> int:
    parsed = parse_document(path)
    assert not isinstance(parsed, Acknowledgement)
    return sum(len(s.points) for s in parsed)


def entsoe_py_walk(path: Path) -> int:
    """entsoe-py's parse of the document's text; how many values its DataFrame holds."""
    from entsoe.parsers import parse_generation

    parsed = parse_generation(path.read_text(encoding="utf-8"))
    return int(parsed.notna().to_numpy().sum())


def parse_streaming(path: Path) -> int:
    return sum(len(s.points) for s in iter_parsed(path) if not isinstance(s, Acknowledgement))


MODES: dict[str, Callable[[Path], int]] = {
    "floor": floor_walk,
    "parse_document": parse_all,
    "iter_parsed": parse_streaming,
}


def best_time(run: Callable[[Path], int], path: Path, repeat: int) -> tuple[float, int]:
    best, result = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        result = run(path)
        best = min(best, time.perf_counter() - started)
    return best, result


def best_interleaved(
    first: Callable[[Path], int], second: Callable[[Path], int], path: Path, repeat: int
) -> tuple[tuple[float, int], tuple[float, int]]:
    """Best times of two walks run turn about, so that both meet the same load on a shared
    machine."""
    timed = [(float("inf"), 0), (float("inf"), 0)]
    for _ in range(repeat):
        for index, run in enumerate((first, second)):
            seconds, result = best_time(run, path, 1)
            timed[index] = (min(timed[index][0], seconds), result)
    return timed[0], timed[1]


def memory_in_child(mode: str, path: Path, probe: str) -> float:
    output = subprocess.run(
        [sys.executable, __file__, "--memory", mode, str(path), probe],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    mib: float = json.loads(output)
    return mib


def peak_rss_kib() -> int:
    """This process's peak resident set since it started (its exec, not its fork)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    # Elsewhere ru_maxrss will do, though Linux carries it over from the parent.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure_memory(mode: str, path: Path, probe: str) -> None:
    """In a fresh process, print one figure in MiB for one mode.

    ``rss``: growth of the peak resident set (libxml2 and Python together). ``traced``: peak
    of Python allocations under tracemalloc, which itself inflates the resident set, hence a
    separate run.
    """
    if probe == "rss":
        before = peak_rss_kib()
        MODES[mode](path)
        print(json.dumps((peak_rss_kib() - before) / 1024))
        return
    tracemalloc.start()
    MODES[mode](path)
    print(json.dumps(tracemalloc.get_traced_memory()[1] / 2**20))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--entsoe-py-repeat", type=int, default=1)
    parser.add_argument(
        "--memory", nargs=3, metavar=("MODE", "FILE", "PROBE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.memory:
        measure_memory(args.memory[0], Path(args.memory[1]), args.memory[2])
        return

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a75_year.xml"
        elements, filled = build_document(args.days, path)
        size = path.stat().st_size / 2**20
        (floor_s, counted), (parse_s, points) = best_interleaved(
            floor_walk, parse_all, path, args.repeat
        )
        # entsoe-py runs turn about with the parser too, so that its ratio compares runs that
        # met the same load.
        (beside_s, _), (entsoe_s, entsoe_values) = best_interleaved(
            parse_all, entsoe_py_walk, path, args.entsoe_py_repeat
        )
        parse_s = min(parse_s, beside_s)
        assert counted == elements, (counted, elements)
        assert points == filled, (points, filled)
        memory = {
            mode: (memory_in_child(mode, path, "rss"), memory_in_child(mode, path, "traced"))
            for mode in MODES
        }

    print(
        f"document: {args.days} days x 20 series, PT15M, {size:.1f} MiB, "
        f"{elements:,} Point elements, {points:,} points after A03 filling"
    )
    print(
        f"python {sys.version.split()[0]}, lxml {etree.__version__}, "
        f"libxml2 {'.'.join(map(str, etree.LIBXML_VERSION))}; best of {args.repeat}"
    )
    print()
    print("| walk | seconds | Point elements/s | points out/s |")
    print("|---|---:|---:|---:|")
    print(
        f"| floor: bare lxml iterparse counting Points | {floor_s:.2f} | "
        f"{elements / floor_s:,.0f} | - |"
    )
    print(
        f"| parse_document (Series built, A03 filled) | {parse_s:.2f} | "
        f"{elements / parse_s:,.0f} | {points / parse_s:,.0f} |"
    )
    print(
        f"| entsoe-py parse_generation (DataFrame, {entsoe_values:,} values) | {entsoe_s:.2f} | "
        f"{elements / entsoe_s:,.0f} | {entsoe_values / entsoe_s:,.0f} |"
    )
    print(
        f"\nparser / floor time: {parse_s / floor_s:.2f}x (floor / parser: {floor_s / parse_s:.2f})"
    )
    print(f"entsoe-py / parser time: {entsoe_s / parse_s:.1f}x")
    print()
    print("| peak memory (fresh process) | RSS growth MiB | traced Python peak MiB |")
    print("|---|---:|---:|")
    for mode, (rss, traced) in memory.items():
        print(f"| {mode} | {rss:.1f} | {traced:.1f} |")


if __name__ == "__main__":
    main()
