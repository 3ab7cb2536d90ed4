// What the portal's chart pages share (Chart.js 4, vendored): the page's data, passed as
// JSON with json_script (no inline script: the CSP stays strict), and the tier colours
// from the stylesheet. Loaded (deferred) before a page's own chart script.
"use strict";

window.KamCharts = (function () {
  const css = getComputedStyle(document.documentElement);
  const color = function (name, fallback) {
    const value = css.getPropertyValue(name).trim();
    return value || fallback;
  };
  return {
    // The JSON of <script type="application/json" id="...">, or null when the page has no
    // such element or Chart.js did not load.
    data: function (id) {
      const source = document.getElementById(id);
      if (!source || typeof window.Chart === "undefined") {
        return null;
      }
      return JSON.parse(source.textContent);
    },
    color: color,
    tierColours: {
      strategic: color("--kam-tier-strategic", "#7a2e8e"),
      key: color("--kam-tier-key", "#0b5ed7"),
      core: color("--kam-tier-core", "#0f766e"),
      standard: color("--kam-tier-standard", "#6c757d"),
    },
  };
})();
