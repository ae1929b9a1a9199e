/* Renders every chart placeholder: Vega-Lite specs through vega-embed, the Sankey through Plotly. Specs are
   inline JSON (no fetch), so pages work from file://. The world map is injected from world.js. */
(function () {
  "use strict";
  var WORLD = "__talentflow_world__";

  function specOf(el) {
    var spec = JSON.parse(document.getElementById(el.dataset.spec).textContent);
    if (spec.datasets && spec.datasets.world === WORLD) { spec.datasets.world = window.TF_WORLD; }
    return spec;
  }

  function render(el) {
    if (el.dataset.rendered) { return; }
    el.dataset.rendered = "1";
    var spec = specOf(el);
    if (el.dataset.kind === "plotly") {
      window.Plotly.newPlot(el, spec.data, spec.layout, {displaylogo: false, responsive: true,
        modeBarButtonsToRemove: ["sendDataToCloud"]}).then(function () { el.classList.add("tf-ready"); });
    } else {
      window.vegaEmbed(el, spec, {renderer: "svg", actions: {export: true, source: false, compiled: false, editor: false}})
        .then(function (res) { el._view = res.view; el.classList.add("tf-ready"); })
        .catch(function (err) { el.textContent = "Chart failed: " + err; console.error(err); });
    }
  }

  function exportChart(btn) {
    var el = document.getElementById(btn.dataset.chart), fmt = btn.dataset.format, name = el.id.replace(/^chart-/, "");
    if (el.dataset.kind === "plotly") {
      window.Plotly.downloadImage(el, {format: fmt, filename: name});
    } else if (el._view) {
      var p = fmt === "svg" ? el._view.toImageURL("svg") : el._view.toImageURL("png", 2);
      p.then(function (url) { var a = document.createElement("a"); a.href = url; a.download = name + "." + fmt; a.click(); });
    }
  }

  function renderAll(root) {
    (root || document).querySelectorAll(".tf-chart").forEach(render);
  }

  document.addEventListener("click", function (e) {
    if (e.target.classList && e.target.classList.contains("tf-export")) { exportChart(e.target); }
  });
  document.addEventListener("DOMContentLoaded", function () { renderAll(document); });
  document.addEventListener("htmx:afterSettle", function (e) { renderAll(e.target); });
  window.TF = {renderAll: renderAll};
})();
