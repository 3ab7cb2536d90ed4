// The service report's charts (Chart.js 4, vendored). The data comes from the page in a
// <script type="application/json" id="service-report-data"> element (json_script), so no
// inline script is needed and the CSP stays strict.
"use strict";

(function () {
  const data = window.KamCharts && window.KamCharts.data("service-report-data");
  if (!data) {
    return;
  }
  const tierColours = window.KamCharts.tierColours;
  const stateColours = {
    new: "#0dcaf0",
    responded: "#0b5ed7",
    waiting_on_client: "#adb5bd",
  };

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) {
      new window.Chart(canvas, config);
    }
  }

  const stacked = {
    responsive: true,
    scales: {
      x: { stacked: true },
      y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
    },
  };

  draw("chart-attainment", {
    type: "bar",
    data: {
      labels: data.attainment.labels,
      datasets: [
        { label: data.attainment.responseLabel, data: data.attainment.response, backgroundColor: "#0b5ed7" },
        { label: data.attainment.resolutionLabel, data: data.attainment.resolution, backgroundColor: "#198754" },
      ],
    },
    options: { responsive: true, scales: { y: { beginAtZero: true, max: 100 } } },
  });

  draw("chart-response-times", {
    type: "bar",
    data: {
      labels: data.responseTimes.labels,
      datasets: data.responseTimes.datasets.map(function (set) {
        return { label: set.label, data: set.data, backgroundColor: tierColours[set.key] || "#6c757d" };
      }),
    },
    options: stacked,
  });

  draw("chart-open-age", {
    type: "bar",
    data: {
      labels: data.openByAge.labels,
      datasets: data.openByAge.datasets.map(function (set) {
        return { label: set.label, data: set.data, backgroundColor: stateColours[set.key] || "#6c757d" };
      }),
    },
    options: stacked,
  });

  draw("chart-satisfaction", {
    type: "bar",
    data: {
      labels: data.satisfaction.labels,
      datasets: [
        {
          label: data.satisfaction.label,
          data: data.satisfaction.data,
          backgroundColor: ["#dc3545", "#fd7e14", "#ffc107", "#20c997", "#198754"],
        },
      ],
    },
    options: { responsive: true, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
})();
