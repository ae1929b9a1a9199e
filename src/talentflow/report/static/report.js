/* Renders every chart placeholder: Vega-Lite specs through vega-embed, the Sankey through Plotly. Specs are
   inline JSON (no fetch), so pages work from file://. The world map is injected from world.js.
   On the dashboard, the filters live in the address bar: read on load, written on change (pushState), and
   restored on Back/Forward (popstate), so a copied URL opens the same view. */
(function () {
  "use strict";
  var WORLD = "__talentflow_world__";

  function specOf(el) {
    var spec = JSON.parse(document.getElementById(el.dataset.spec).textContent);
    if (spec.datasets && spec.datasets.world === WORLD) { spec.datasets.world = window.TF_WORLD; }
    return spec;
  }

  /* Split text into lines of at most `n` characters (at spaces; a title also at its " · " separators). */
  function wrap(text, n) {
    var out = [], cur = "";
    text.split(" ").forEach(function (w) {
      if (cur && (cur + " " + w).length > n) { out.push(cur); cur = w; } else { cur = cur ? cur + " " + w : w; }
    });
    if (cur) { out.push(cur); }
    return out;
  }

  function wrapTitle(title, n) {
    var out = [], cur = "";
    title.split(" · ").forEach(function (part) {
      var next = cur ? cur + " · " + part : part;
      if (cur && next.length > n) { out.push(cur); cur = part; } else { cur = next; }
    });
    if (cur) { out.push(cur); }
    return [].concat.apply([], out.map(function (t) { return wrap(t, n); }));
  }

  /* Phones: titles wrapped to the container, legends below the plot, shorter Sankey labels. */
  function fitNarrow(el, spec) {
    var w = el.clientWidth || window.innerWidth, narrow = w < 620;
    var tc = Math.max(24, Math.floor(w / 8)), sc = Math.max(30, Math.floor(w / 6.3));
    if (el.dataset.kind === "plotly") {
      var tf = spec.tf || {};
      if (narrow && tf.title) {
        var lines = wrapTitle(tf.title, tc), subs = [];
        (tf.subtitle || []).forEach(function (s) { subs = subs.concat(wrap(s, sc)); });
        spec.layout.title = {text: lines.join("<br>") + subs.map(function (s) {
          return "<br><span style='font-size:10px;color:#555'>" + s + "</span>"; }).join(""), x: 0.01, xanchor: "left"};
        spec.layout.margin.t = 30 + 17 * (lines.length + subs.length);
        spec.layout.font = {size: 9};
        if (tf.short) { spec.data[0].node.label = tf.short; }
        spec.layout.height = 600;
      }
      return spec;
    }
    var um = spec.usermeta || {};
    if (narrow && um.title) {
      var sub = [];
      (um.subtitle || []).forEach(function (s) { sub = sub.concat(wrap(s, sc)); });
      spec.title = Object.assign({}, spec.title, {text: wrapTitle(um.title, tc), subtitle: sub});
      spec.config = Object.assign({}, spec.config, {legend: {orient: "bottom", columns: w < 480 ? 1 : Math.floor((w - 40) / 160),
                                                              labelLimit: 120, columnPadding: 8}});
    }
    return spec;
  }

  function render(el) {
    if (el.dataset.rendered) { return; }
    el.dataset.rendered = "1";
    var spec = fitNarrow(el, specOf(el));
    if (el.dataset.kind === "plotly") {
      window.Plotly.newPlot(el, spec.data, spec.layout, {displaylogo: false, responsive: true,
        modeBarButtonsToRemove: ["sendDataToCloud"]}).then(function () { el.classList.add("tf-ready"); });
    } else {
      window.vegaEmbed(el, spec, {renderer: "svg", actions: {export: true, source: false, compiled: false, editor: false}})
        .then(function (res) {
          el._view = res.view;
          el.classList.add("tf-ready");
        })
        .catch(function (err) { el.textContent = "Chart failed: " + err; console.error(err); });
    }
  }

  function exportChart(btn) {
    var el = document.getElementById(btn.dataset.chart), fmt = btn.dataset.format, name = el.id.replace(/^chart-/, "");
    if (el.dataset.kind === "plotly") {
      window.Plotly.downloadImage(el, {format: fmt, filename: name, width: 1000, height: el.offsetHeight || 520});
    } else if (el._view) {
      var p = fmt === "svg" ? el._view.toImageURL("svg") : el._view.toImageURL("png", 2);
      p.then(function (url) { var a = document.createElement("a"); a.href = url; a.download = name + "." + fmt; a.click(); });
    }
  }

  function renderAll(root) {
    (root || document).querySelectorAll(".tf-chart").forEach(render);
  }

  // ---- dashboard state in the URL ---------------------------------------------------------------------------
  function fields(form) {
    return Array.prototype.slice.call(form.querySelectorAll("select[name], input[name]"));
  }

  /* The view as a query string: only values that differ from the defaults, in a fixed order. */
  function stateOf(form) {
    var q = new URLSearchParams();
    fields(form).forEach(function (el) {
      var v = el.value.trim();
      if (v && v !== (el.dataset.default || "")) { q.set(el.name, v); }
    });
    return q.toString();
  }

  /* Set the filters from a query string; a value the list does not offer is kept (the server then says why). */
  function applyState(form, search) {
    var q = new URLSearchParams(search);
    fields(form).forEach(function (el) {
      var v = q.has(el.name) ? q.get(el.name) : (el.dataset.default || "");
      if (el.tagName === "SELECT" && v && !Array.prototype.some.call(el.options, function (o) { return o.value === v; })) {
        var opt = document.createElement("option");
        opt.value = v; opt.textContent = v;
        el.appendChild(opt);
      }
      el.value = v;
    });
  }

  /* The fragment request carries every field (defaults included), so the server sees the same query. */
  function load(form) {
    var q = new URLSearchParams();
    fields(form).forEach(function (el) { if (el.value.trim()) { q.set(el.name, el.value.trim()); } });
    window.htmx.ajax("GET", form.dataset.fragment + "?" + q.toString(),
                     {target: form.dataset.target, swap: "innerHTML", indicator: "#loading"});
  }

  function dashboard(form) {
    applyState(form, window.location.search);
    var first = stateOf(form);
    window.history.replaceState({tf: first}, "", first ? "?" + first : window.location.pathname);
    form.addEventListener("change", function () {
      var s = stateOf(form);
      if ("?" + s !== window.location.search && !(s === "" && window.location.search === "")) {
        window.history.pushState({tf: s}, "", s ? "?" + s : window.location.pathname);
      }
      load(form);
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); load(form); });
    window.addEventListener("popstate", function () { applyState(form, window.location.search); load(form); });
    load(form);
  }

  function copyLink(btn) {
    var done = function () { btn.textContent = "Link copied"; setTimeout(function () { btn.textContent = "Copy link"; }, 2000); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(window.location.href).then(done, function () { window.prompt("Link to this view:", window.location.href); });
    } else {
      window.prompt("Link to this view:", window.location.href);
    }
  }

  // ---- navigation on small screens --------------------------------------------------------------------------
  function toggleNav(btn) {
    var open = btn.getAttribute("aria-expanded") !== "true";
    btn.setAttribute("aria-expanded", open ? "true" : "false");
    btn.setAttribute("aria-label", open ? "Hide pages" : "Show pages");
    document.body.classList.toggle("tf-nav-open", open);
  }

  document.addEventListener("click", function (e) {
    var t = e.target.closest ? e.target.closest("button") : null;
    if (!t) { return; }
    if (t.classList.contains("tf-export")) { exportChart(t); }
    if (t.classList.contains("tf-nav-toggle")) { toggleNav(t); }
    if (t.classList.contains("tf-copy")) { copyLink(t); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    renderAll(document);
    var form = document.getElementById("filters");
    if (form && form.dataset.fragment) { dashboard(form); }
  });
  document.addEventListener("htmx:afterSettle", function (e) { renderAll(e.target); });
  window.TF = {renderAll: renderAll};
})();
