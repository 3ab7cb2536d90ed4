// The relationship map (relationships app): Cytoscape.js (vendored) draws the graph the page
// passes as JSON with json_script (no inline script: the CSP stays strict). Every label comes
// translated from the server. Clicking a node that has a page opens it; the legend's boxes
// show or hide a kind of node. When a layout has run, the container says so
// (data-ready="true", data-rendered-nodes, data-rendered-edges) for the browser tests.
"use strict";

(function () {
  const container = document.getElementById("relationship-map");
  if (!container) {
    return;
  }
  const source = document.getElementById(container.dataset.source || "");
  const fail = function () {
    container.textContent = container.dataset.errorText || "";
    container.classList.add("p-3", "text-danger");
  };
  if (!source || typeof window.cytoscape === "undefined") {
    fail();
    return;
  }
  const data = JSON.parse(source.textContent);
  const css = getComputedStyle(document.documentElement);
  const color = function (name, fallback) {
    return css.getPropertyValue(name).trim() || fallback;
  };
  const palette = {
    group: color("--map-group", "#7a2e8e"),
    account: color("--map-account", "#0b5ed7"),
    project: color("--map-project", "#0f766e"),
    contact: color("--map-contact", "#b45309"),
    person: color("--map-person", "#0b3a63"),
    nameOnly: color("--map-name-only", "#adb5bd"),
    focus: color("--map-focus", "#dc3545"),
    edge: color("--map-edge", "#98a2b3"),
  };
  const font = css.getPropertyValue("--bs-body-font-family").trim() || "sans-serif";

  const style = [
    {
      selector: "node",
      style: {
        label: function (node) {
          const detail = node.data("detail");
          return detail ? node.data("label") + "\n" + detail : node.data("label");
        },
        "font-family": font,
        "font-size": 11,
        color: "#212529",
        "text-wrap": "wrap",
        "text-max-width": "150px",
        "text-valign": "bottom",
        "text-margin-y": 4,
        "text-background-color": "#ffffff",
        "text-background-opacity": 0.8,
        "text-background-padding": "1px",
        width: 26,
        height: 26,
        "border-width": 0,
      },
    },
    { selector: "node.group", style: { shape: "round-rectangle", width: 44, height: 30, "background-color": palette.group } },
    { selector: "node.account", style: { shape: "round-rectangle", width: 34, height: 26, "background-color": palette.account } },
    { selector: "node.project", style: { shape: "diamond", width: 30, height: 30, "background-color": palette.project } },
    { selector: "node.contact", style: { shape: "ellipse", "background-color": palette.contact } },
    { selector: "node.person", style: { shape: "ellipse", "background-color": palette.person } },
    {
      selector: "node.name-only",
      style: {
        "background-color": palette.nameOnly,
        "border-width": 1,
        "border-style": "dashed",
        "border-color": "#6c757d",
        color: "#6c757d",
      },
    },
    { selector: "node.focus", style: { "border-width": 4, "border-style": "solid", "border-color": palette.focus, "font-weight": "bold" } },
    { selector: ".hidden-kind", style: { display: "none" } },
    {
      selector: "edge",
      style: {
        width: 1.5,
        "line-color": palette.edge,
        "target-arrow-color": palette.edge,
        "curve-style": "bezier",
        label: "data(label)",
        "font-family": font,
        "font-size": 9,
        color: "#495057",
        "text-rotation": "autorotate",
        "text-background-color": "#ffffff",
        "text-background-opacity": 0.8,
      },
    },
    { selector: "edge.subsidiary, edge.member", style: { width: 2.5, "line-color": palette.group, "target-arrow-color": palette.group, "target-arrow-shape": "triangle" } },
    { selector: "edge.connected", style: { "line-style": "dashed", "line-color": palette.group } },
    { selector: "edge.party", style: { "line-color": palette.project, "target-arrow-color": palette.project, "target-arrow-shape": "triangle" } },
    { selector: "edge.reports_to", style: { "line-color": palette.contact, "target-arrow-color": palette.contact, "target-arrow-shape": "triangle" } },
    { selector: "edge.covers", style: { "line-color": palette.person } },
    { selector: "edge.met", style: { "line-style": "dotted", "line-color": palette.person } },
  ];

  let cy;
  try {
    cy = window.cytoscape({
      container: container,
      elements: data.elements,
      style: style,
      minZoom: 0.1,
      maxZoom: 4,
      wheelSensitivity: 0.3,
    });
  } catch (error) {
    fail();
    throw error;
  }
  window.relationshipMap = cy;

  const layoutOptions = function (name) {
    // Labels count as part of a node, so that names do not overlap.
    const options = { name: name, animate: false, fit: true, padding: 30, nodeDimensionsIncludeLabels: true };
    if (name === "breadthfirst") {
      options.directed = false;
      options.spacingFactor = 1.2;
      if (data.focus) {
        options.roots = "#" + data.focus;
      }
    } else if (name === "concentric") {
      options.minNodeSpacing = 30;
      options.concentric = function (node) {
        // The page's account or group in the middle, the busiest nodes nearest to it.
        return node.hasClass("focus") ? 1000 : node.degree();
      };
    } else if (name === "cose") {
      options.nodeRepulsion = function () {
        return 9000;
      };
      options.idealEdgeLength = function () {
        return 90;
      };
      options.randomize = false;
    }
    return options;
  };

  const runLayout = function (name) {
    container.dataset.ready = "false";
    const layout = cy.elements(":visible").layout(layoutOptions(name));
    layout.one("layoutstop", function () {
      container.dataset.renderedNodes = String(cy.nodes().length);
      container.dataset.renderedEdges = String(cy.edges().length);
      container.dataset.layout = name;
      container.dataset.ready = "true";
    });
    layout.run();
  };

  // A node with a page opens it; a pointer says which ones do.
  cy.on("tap", "node", function (event) {
    const url = event.target.data("url");
    if (url) {
      window.location.assign(url);
    }
  });
  cy.on("mouseover", "node[url]", function () {
    container.classList.add("map-pointer");
  });
  cy.on("mouseout", "node", function () {
    container.classList.remove("map-pointer");
  });

  const select = document.getElementById("map-layout");
  if (select) {
    select.addEventListener("change", function () {
      runLayout(select.value);
    });
  }
  const fit = document.getElementById("map-fit");
  if (fit) {
    fit.addEventListener("click", function () {
      cy.fit(cy.elements(":visible"), 30);
    });
  }
  document.querySelectorAll("input[data-map-toggle]").forEach(function (box) {
    box.addEventListener("change", function () {
      cy.nodes("." + box.dataset.mapToggle).toggleClass("hidden-kind", !box.checked);
    });
  });

  runLayout(select ? select.value : "cose");
})();
