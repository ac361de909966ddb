/* The scorecard's behaviour: sortable tables, the peer-group filter, and the charts (ECharts).
   Everything it draws comes from the page's own <script id="page-data"> block: no request leaves
   the report folder, so the pages work from file:// as well as from `wuxing report --serve`. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var LIGHT = { green: "#63be7b", yellow: "#f4c542", red: "#e0525f" };
  var LIGHT_ZH = { green: "绿灯", yellow: "黄灯", red: "红灯" };

  function sortable(table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener("click", function () {
        var asc = !th.classList.contains("sorted-asc");
        Array.prototype.forEach.call(heads, function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
        th.classList.add(asc ? "sorted-asc" : "sorted-desc");
        var numeric = th.dataset.type === "num";
        var rows = Array.prototype.slice.call(table.tBodies[0].rows);
        rows.sort(function (a, b) {
          var x = a.cells[col], y = b.cells[col];
          var u = x.dataset.sort !== undefined ? x.dataset.sort : x.textContent;
          var v = y.dataset.sort !== undefined ? y.dataset.sort : y.textContent;
          if (numeric) {
            u = parseFloat(u); v = parseFloat(v);
            if (isNaN(u)) return 1; if (isNaN(v)) return -1;
            return asc ? u - v : v - u;
          }
          return asc ? u.localeCompare(v, "zh") : v.localeCompare(u, "zh");
        });
        rows.forEach(function (r) { table.tBodies[0].appendChild(r); });
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), sortable);

  function chart(id) {
    var el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") return null;
    var c = echarts.init(el, null, { renderer: "canvas" });
    window.addEventListener("resize", function () { c.resize(); });
    var set = c.setOption.bind(c);
    c.setOption = function (option, notMerge) { option.animation = false; return set(option, notMerge); };  // print and screenshot as drawn
    return c;
  }

  function index() {
    var select = document.getElementById("group-filter");
    var table = document.getElementById("scorecard");
    select.addEventListener("change", function () {
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.style.display = !select.value || row.dataset.group === select.value ? "" : "none";
      });
    });
    var toggle = document.getElementById("show-indicators");
    if (toggle) toggle.addEventListener("change", function () { table.classList.toggle("with-indicators", toggle.checked); });
  }

  function map() {
    echarts.registerMap("jiangxi", window.WUXING_MAP);
    var c = chart("map");
    var level = document.getElementById("map-level"), measure = document.getElementById("map-measure");
    function draw() {
      var byCity = level.value === "city";
      var rows = window.WUXING_MAP.features.map(function (f) {
        var code = byCity ? f.properties.city : f.properties.name;
        var u = (byCity ? data.cities : data.counties)[code] || null;
        var value = !u ? null : measure.value === "grade" ? ({ green: 3, yellow: 2, red: 1 })[u.light] : u.score;
        return { name: f.properties.name, value: value, unit: u, label: byCity ? (u ? u.name : code) : f.properties.label };
      });
      var visual = measure.value === "grade"
        ? { type: "piecewise", pieces: [{ value: 3, label: "绿灯（优秀/良好）", color: LIGHT.green },
            { value: 2, label: "黄灯（一般）", color: LIGHT.yellow }, { value: 1, label: "红灯（较差）", color: LIGHT.red }], left: 10, bottom: 20 }
        : { type: "continuous", min: data.min, max: data.max, calculable: true, text: ["高 high", "低 low"],
            inRange: { color: ["#e0525f", "#f4c542", "#63be7b"] }, left: 10, bottom: 20 };
      c.setOption({
        tooltip: { trigger: "item", formatter: function (p) {
          var u = p.data && p.data.unit;
          if (!u) return (p.data ? p.data.label : p.name) + "：无分数 / not scored";
          return u.name + "<br>" + u.group + (u.rank == null ? " 暂不排名" : " 第 " + u.rank + "/" + u.size + " 名") + "<br>得分 " + u.score_text +
            (u.grade ? "　" + u.grade + " " + (LIGHT_ZH[u.light] || "") : "");
        } },
        visualMap: visual,
        series: [{ type: "map", map: "jiangxi", roam: true, data: rows, nameProperty: "name",
                   itemStyle: { borderColor: "#fff", borderWidth: byCity ? 0.3 : 0.8, areaColor: "#eee" },
                   emphasis: { label: { show: true, formatter: function (p) { return p.data ? p.data.label : ""; } } } }]
      }, true);
    }
    c.on("click", function (p) {
      var u = p.data && p.data.unit;
      if (u) window.location.href = "units/" + u.code + ".html";
    });
    level.addEventListener("change", draw); measure.addEventListener("change", draw);
    draw();
    var b = chart("departments");
    if (b && data.departments.length) {
      var d = data.departments.slice().reverse();
      b.setOption({
        grid: { left: 260, right: 60, top: 10, bottom: 30 },
        tooltip: { trigger: "item", formatter: function (p) { var u = d[p.dataIndex];
          return u.group + "<br>" + u.name + "：" + u.score_text + (u.rank == null ? "（暂不排名）" : "（第 " + u.rank + "/" + u.size + " 名）"); } },
        xAxis: { type: "value", min: Math.floor(data.dept_min / 10) * 10, max: 100 },
        yAxis: { type: "category", data: d.map(function (u) { return u.group_short + " · " + (u.rank == null ? "—" : u.rank) + ". " + u.name; }),
                 axisLabel: { fontSize: 11 } },
        series: [{ type: "bar", data: d.map(function (u) { return { value: u.score, itemStyle: { color: LIGHT[u.light] || "#8aa" } }; }),
                   label: { show: true, position: "right", formatter: function (p) { return d[p.dataIndex].score_text; } } }]
      });
      b.on("click", function (p) { window.location.href = "units/" + d[p.dataIndex].code + ".html"; });
    }
  }

  function unit() {
    var radar = chart("radar");
    if (radar && data.dimensions.length) {
      radar.setOption({
        tooltip: {}, legend: { bottom: 0, data: ["本单位", "组内平均"] },
        radar: { indicator: data.dimensions.map(function (d) { return { name: d.name, max: d.max }; }), radius: "65%" },
        series: [{ type: "radar", data: [
          { name: "本单位", value: data.dimensions.map(function (d) { return d.score; }), areaStyle: { opacity: 0.25 } },
          { name: "组内平均", value: data.dimensions.map(function (d) { return d.peer_mean; }), lineStyle: { type: "dashed" } }] }]
      });
    }
    var history = chart("history");
    if (history) {
      history.setOption({
        tooltip: { trigger: "axis" }, legend: { bottom: 0, data: ["得分", "组内名次"] },
        grid: { left: 50, right: 50, top: 20, bottom: 50 },
        xAxis: { type: "category", data: data.history.map(function (h) { return h.period; }) },
        yAxis: [{ type: "value", name: "得分", scale: true }, { type: "value", name: "名次", inverse: true, min: 1, max: data.group_size, minInterval: 1 }],
        series: [{ name: "得分", type: "line", data: data.history.map(function (h) { return h.score; }), label: { show: true } },
                 { name: "组内名次", type: "line", yAxisIndex: 1, data: data.history.map(function (h) { return h.rank; }), lineStyle: { type: "dashed" } }]
      });
    }
    var contrib = chart("contrib");
    if (contrib) {
      contrib.setOption({
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        grid: { left: 70, right: 30, top: 20, bottom: 30 },
        xAxis: { type: "value", name: "分" },
        yAxis: { type: "category", inverse: true, data: data.contributions.map(function (c) { return c.name; }) },
        series: [{ type: "bar", data: data.contributions.map(function (c) {
          return { value: c.change, itemStyle: { color: c.change >= 0 ? "#63be7b" : "#e0525f" } }; }),
          label: { show: true, position: "right", formatter: function (p) {
            var c = data.contributions[p.dataIndex]; return c.change === null ? "—" : (c.change >= 0 ? "▲" : "▼") + Math.abs(c.change).toFixed(2); } } }]
      });
    }
  }

  var page = document.body.dataset.page;
  if (page === "index") index();
  if (page === "map") map();
  if (page === "unit") unit();
})();
