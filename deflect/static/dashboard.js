// The dashboard's charts, drawn by Chart.js (vendor/chart.umd.min.js, served by the app itself) from
// the table beside each chart: the table holds the numbers, the chart only shows them. Each series
// differs by more than its colour: bars by pattern (stripes, dots, cross-hatch), lines by dash and
// point shape, and the legend shows both.
(function () {
  "use strict";
  if (!window.Chart) return;
  var COLOURS = ["#1a4b8c", "#a34000", "#2e6b30", "#6a3d9a"];
  var DASHES = [[], [8, 4], [2, 3], [12, 3, 2, 3]];
  var POINTS = ["circle", "triangle", "rect", "rectRot"];

  function pattern(index, colour) {
    var tile = document.createElement("canvas");
    tile.width = tile.height = 8;
    var pen = tile.getContext("2d");
    pen.fillStyle = "#ffffff";
    pen.fillRect(0, 0, 8, 8);
    pen.fillStyle = pen.strokeStyle = colour;
    pen.lineWidth = 2;
    if (index % 4 === 0) { pen.fillRect(0, 0, 8, 8); }
    else if (index % 4 === 1) { pen.beginPath(); pen.moveTo(0, 8); pen.lineTo(8, 0); pen.stroke(); }
    else if (index % 4 === 2) { pen.beginPath(); pen.arc(4, 4, 2, 0, 2 * Math.PI); pen.fill(); }
    else { pen.beginPath(); pen.moveTo(0, 0); pen.lineTo(8, 8); pen.moveTo(8, 0); pen.lineTo(0, 8); pen.stroke(); }
    return pen.createPattern(tile, "repeat");
  }

  function read(table) {
    var heads = Array.prototype.slice.call(table.querySelectorAll("thead th"));
    var series = heads.map(function (th, i) { return th.hasAttribute("data-series") ? i : -1; })
      .filter(function (i) { return i >= 0; });
    var labels = [], values = series.map(function () { return []; });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var cells = row.children;
      if (cells.length < heads.length) return;  // the "nothing in this period" row
      labels.push(cells[0].textContent.trim());
      series.forEach(function (column, k) {
        var value = cells[column].getAttribute("data-value");
        values[k].push(value === null || value === "" ? null : Number(value));
      });
    });
    return { labels: labels, names: series.map(function (i) { return heads[i].textContent.trim(); }), values: values };
  }

  function dataset(kind, name, values, k) {
    var colour = COLOURS[k % COLOURS.length];
    if (kind === "line") {
      return { label: name, data: values, borderColor: colour, backgroundColor: colour, borderDash: DASHES[k % 4],
        pointStyle: POINTS[k % 4], pointRadius: 4, borderWidth: 2, spanGaps: true };
    }
    return { label: name, data: values, backgroundColor: pattern(k, colour), borderColor: colour, borderWidth: 1.5,
      maxBarThickness: 64 };
  }

  function draw(canvas) {
    var table = document.getElementById(canvas.getAttribute("data-chart-for"));
    if (!table) return;
    var kind = table.getAttribute("data-chart"), percent = table.getAttribute("data-unit") === "%";
    var stacked = table.hasAttribute("data-stacked"), found = read(table);
    var unit = function (value) { return percent ? value + " %" : value; };
    new window.Chart(canvas, {
      type: kind,
      data: { labels: found.labels, datasets: found.names.map(function (name, k) { return dataset(kind, name, found.values[k], k); }) },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: {
          x: { stacked: stacked },
          y: { stacked: stacked, beginAtZero: true, max: percent ? 100 : undefined, ticks: { precision: 0, callback: unit } }
        },
        plugins: {
          legend: { labels: { usePointStyle: kind === "line", boxWidth: 24 } },
          tooltip: { callbacks: { label: function (item) { return item.dataset.label + ": " + (item.raw === null ? "n/a" : unit(item.raw)); } } }
        }
      }
    });
    canvas.setAttribute("data-drawn", "true");
  }

  document.querySelectorAll("canvas[data-chart-for]").forEach(draw);
})();
