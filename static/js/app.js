// Behaviour every page shares, from this file only: the pages' Content-Security-Policy allows no
// inline script, no event-handler attribute (onclick=, onchange=...) and no style attribute.
//   <select data-autosubmit>      sends its form when the choice changes (period and cycle pickers)
//   <form data-confirm="...">     asks before sending
//   <span data-width="42">        is drawn 42 % wide (score bars)
//   #status / #export             a long job's progress, asked every second until it ends
(function () {
  "use strict";

  function applyWidths(root) {
    (root || document).querySelectorAll("[data-width]").forEach(function (el) {
      var pct = parseFloat(el.dataset.width);
      if (!isNaN(pct)) el.style.width = Math.max(0, Math.min(100, pct)) + "%";
    });
  }
  window.csmApplyWidths = applyWidths;

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.submit();
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-confirm]") && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // A job's page (an import, a cycle's export): its words, hint and bar follow the job; the page
  // reloads once it has ended.
  function follow(box, ids, ended) {
    if (!box || !box.dataset.running) return;
    function poll() {
      fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (job) {
        document.getElementById(ids.text).textContent = job.phrase;
        var hint = document.getElementById(ids.hint);
        hint.textContent = job.hint;
        hint.hidden = !job.hint;
        var bar = document.getElementById(ids.bar);
        if (bar && job.percent !== null && job.percent !== undefined) bar.value = job.percent;
        if (ended(job)) { window.location.reload(); } else { setTimeout(poll, 1000); }
      }).catch(function () { setTimeout(poll, 3000); });
    }
    poll();
  }

  function start() {
    applyWidths(document);
    follow(document.getElementById("status"), {text: "status-text", hint: "status-hint", bar: "bar"},
           function (s) { return s.finished; });
    follow(document.getElementById("export"), {text: "export-text", hint: "export-hint", bar: "export-bar"},
           function (s) { return !s.on_its_way; });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
