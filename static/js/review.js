// Autosave of the review drafts: every 20 s after a change, with the version the page was loaded at.
// A newer version on the server refuses the save (409): the text stays in the page and a message says why.
(function () {
  var form = document.getElementById("review-form");
  if (!form || !form.dataset.autosave) return;
  var status = document.getElementById("autosave-status");
  var dirty = false, saving = false;
  form.addEventListener("input", function () { dirty = true; status.textContent = "Unsaved changes…"; });
  function save() {
    if (!dirty || saving) return;
    saving = true; dirty = false;
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                        headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json().then(function (d) { return [r.status, d]; }); })
      .then(function (res) {
        var code = res[0], data = res[1];
        if (code === 200) {
          document.querySelectorAll("input.version").forEach(function (i) { i.value = data.version; });
          document.getElementById("version-label").textContent = data.version;
          status.textContent = "Saved automatically.";
        } else if (code === 409) {
          status.textContent = data.message; status.className = "errors small"; dirty = false;
          clearInterval(timer);
        } else {
          status.textContent = JSON.stringify(data.errors || data); dirty = true;
        }
      }).catch(function () { dirty = true; status.textContent = "Offline: will retry."; })
      .finally(function () { saving = false; });
  }
  var timer = setInterval(save, 20000);
})();
