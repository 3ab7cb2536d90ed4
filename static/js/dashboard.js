// The dashboards' charts (Chart.js 4, vendored). The data comes from the page in a
// <script type="application/json" id="dashboard-data"> element (json_script), so no inline
// script is needed and the CSP stays strict. Every canvas names its entry with data-chart;
// a click on a bar or slice opens the list behind it (the same link as the table's number).
"use strict";

(function () {
  const data = window.KamCharts && window.KamCharts.data("dashboard-data");
  if (!data) {
    return;
  }
  const palettes = {
    tier: window.KamCharts.tierColours,
    risk: { red: "#dc3545", orange: "#fd7e14", yellow: "#ffc107", green: "#198754" },
    severity: { 3: "#dc3545", 2: "#fd7e14", 1: "#ffc107" },
    coverage: { held: "#198754", scheduled: "#0dcaf0", missing: "#dc3545" },
    cadence: { kept: "#198754", overdue: "#dc3545" },
    green: { green: "#20c997", other: "#adb5bd" },
    equator: { A: "#dc3545", B: "#fd7e14", C: "#198754", none: "#adb5bd" },
    loanClass: { 1: "#198754", 2: "#ffc107", 3: "#fd7e14", 4: "#dc3545", 5: "#6f1d1b" },
    unattributed: { unattributed: "#adb5bd" },
  };
  const fallback = ["#0b3a63", "#0b5ed7", "#0f766e", "#7a2e8e", "#fd7e14", "#20c997", "#6c757d", "#dc3545", "#ffc107"];

  function colours(entry, set) {
    if (set.colour) {
      return set.colour;
    }
    const palette = palettes[set.palette];
    if (palette && set.key !== undefined) {
      return palette[set.key] || fallback[0];
    }
    return (entry.keys || entry.labels).map(function (key, index) {
      return (palette && palette[key]) || fallback[index % fallback.length];
    });
  }

  function linkAt(entry, datasetIndex, index) {
    const links = entry.links;
    if (!links) {
      return null;
    }
    const row = Array.isArray(links[0]) ? links[datasetIndex] : links;
    return row ? row[index] || null : null;
  }

  const numberFormat = new Intl.NumberFormat(document.documentElement.lang || undefined);

  function options(entry) {
    const opts = {
      responsive: true,
      maintainAspectRatio: true,
      aspectRatio: entry.type === "doughnut" ? 1.6 : entry.horizontal ? 1.2 : 1.8,
      plugins: { legend: { display: entry.type !== "bar" || entry.datasets.length > 1, position: "bottom" } },
      onClick: function (event, elements, chart) {
        if (!elements.length) {
          return;
        }
        const url = linkAt(entry, elements[0].datasetIndex, elements[0].index);
        if (url) {
          window.location.assign(url);
        }
      },
      onHover: function (event, elements) {
        const target = event.native && event.native.target;
        if (target) {
          const clickable = elements.length && linkAt(entry, elements[0].datasetIndex, elements[0].index);
          target.style.cursor = clickable ? "pointer" : "default";
        }
      },
    };
    if (entry.type === "doughnut") {
      return opts;
    }
    const value = { beginAtZero: true, ticks: { callback: function (v) { return numberFormat.format(v); } } };
    if (entry.percent) {
      value.max = 100;
    }
    if (entry.stacked) {
      value.stacked = true;
    }
    const category = { stacked: Boolean(entry.stacked) };
    if (entry.horizontal) {
      opts.indexAxis = "y";
      opts.scales = { x: value, y: category };
    } else {
      opts.scales = { x: category, y: value };
    }
    if (entry.type === "line") {
      opts.spanGaps = true;
    }
    return opts;
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    const entry = data[canvas.dataset.chart];
    if (!entry) {
      return;
    }
    const datasets = entry.datasets.map(function (set) {
      const fill = colours(entry, set);
      return {
        label: set.label,
        data: set.data,
        backgroundColor: fill,
        borderColor: entry.type === "line" ? fill : undefined,
        tension: entry.type === "line" ? 0.25 : undefined,
      };
    });
    new window.Chart(canvas, {
      type: entry.type,
      data: { labels: entry.labels, datasets: datasets },
      options: options(entry),
    });
    canvas.dataset.rendered = "true";
  });
})();
