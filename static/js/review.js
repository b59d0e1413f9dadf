// The review page: autosave with its state at the top (saved / saving / unsaved / conflict / offline),
// conflicts resolved in place field by field, and a confirmation before a step that cannot be undone.
// Every save names the version the page holds; a newer version on the server refuses it (409) and the
// page shows, next to each field, the text being saved and the newer saved text.
// Its words come from Django's JavaScript catalog (gettext, ngettext, interpolate; base.html).
(function () {
  var form = document.getElementById("review-form");
  var stateBox = document.getElementById("autosave-state");
  var editable = form && form.dataset.autosave;
  var dirty = false, saving = null, timer = null, conflictVersion = null, confirmed = false;

  function setState(state, text) {
    if (!stateBox) return;
    stateBox.dataset.state = state;
    stateBox.textContent = text;
  }
  // The counted messages, in the language's form for the count.
  function toSettle(n) {
    return interpolate(ngettext("Not saved: someone saved meanwhile. %(count)s field to settle below.", "Not saved: someone saved meanwhile. %(count)s fields to settle below.", n), {count: n}, true);
  }
  function openFlags(n) {
    return interpolate(ngettext("%(count)s flagged number is not resolved yet: the acknowledgement will say so.", "%(count)s flagged numbers are not resolved yet: the acknowledgement will say so.", n), {count: n}, true);
  }
  // What a step that cannot be undone does, said before it is taken.
  function irreversible(step) {
    var says = {
      submit_self: gettext("Once submitted, your self-review can no longer be edited and your reviewer reads it."),
      submit: gettext("Once submitted, the review can no longer be edited and the CSM reads it."),
      acknowledge: gettext("Acknowledging says you have read the review; it cannot be undone."),
      finalize: gettext("A finalized review is read-only (only HR may reopen it).")
    };
    return says[step] || gettext("This cannot be undone.");
  }
  function setVersion(v) {
    document.querySelectorAll("input.version").forEach(function (i) { i.value = v; });
    var label = document.getElementById("version-label");
    if (label) label.textContent = v;
  }
  function control(name) { return form.querySelector('[name="' + name + '"]'); }
  function unresolved() { return form.querySelectorAll('.conflict[data-kind="both"]:not(.resolved)').length; }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(save, 2500);
  }

  function save() {
    if (!editable || !dirty || conflictVersion !== null) return saving || Promise.resolve(true);
    if (saving) return saving.then(save);
    dirty = false;
    setState("saving", gettext("Saving…"));
    saving = fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                                 headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json().then(function (d) { return [r.status, d]; }); })
      .then(function (res) {
        var code = res[0], data = res[1];
        if (code === 200) {
          setVersion(data.version);
          setState(dirty ? "unsaved" : "saved", dirty ? gettext("Unsaved changes: saving in a moment…")
            : interpolate(gettext("All changes saved (%(when)s)"), {when: data.saved_at}, true));
          return true;
        }
        if (code === 409) { showConflict(data); return false; }
        dirty = true;
        var msgs = [];
        Object.keys(data.errors || {}).forEach(function (k) {
          msgs.push(((data.labels || {})[k] ? data.labels[k] + ": " : "") + data.errors[k]);
        });
        setState("error", gettext("Not saved:") + " " + msgs.join(" "));
        return false;
      })
      .catch(function () {
        dirty = true;
        setState("offline", gettext("Offline: your text stays on this page and is saved when the connection is back."));
        clearTimeout(timer); timer = setTimeout(save, 5000);
        return false;
      })
      .finally(function () { saving = null; });
    return saving;
  }

  function showConflict(data) {
    form.querySelectorAll(".conflict").forEach(function (b) { b.remove(); });
    conflictVersion = data.version;
    (data.fields || []).forEach(function (f) {
      var c = control(f.name);
      if (!c) return;
      c.insertAdjacentHTML("afterend", f.html);
    });
    adopt();
    var banner = document.getElementById("conflict-banner");
    if (!banner) {
      banner = document.createElement("div");
      banner.className = "banner warning"; banner.id = "conflict-banner";
      document.getElementById("reviewbar").appendChild(banner);
    }
    banner.textContent = data.message;
  }

  // Apply what needs no decision (a field only the other save changed) and count the rest.
  function adopt() {
    form.querySelectorAll('.conflict[data-kind="theirs_only"]').forEach(function (box) {
      var c = control(box.dataset.field);
      if (c) c.value = box.dataset.theirs;
      box.classList.add("resolved");
    });
    settle();
  }

  function settle() {
    if (conflictVersion === null) return;
    var left = unresolved();
    if (left) {
      setState("conflict", toSettle(left));
      return;
    }
    setVersion(conflictVersion);
    conflictVersion = null;
    var banner = document.getElementById("conflict-banner");
    if (banner) banner.remove();
    dirty = true;
    setState("unsaved", gettext("Settled: saving your choice…"));
    save();
  }

  if (form) {
    form.addEventListener("click", function (e) {
      var b = e.target.closest("[data-resolve]");
      if (!b) return;
      var box = b.closest(".conflict"), c = control(box.dataset.field);
      var how = b.dataset.resolve;
      if (how === "theirs") c.value = box.dataset.theirs;
      if (how === "merge") {
        c.value = c.value + "\n\n" + box.dataset.theirs;
        c.focus();
      }
      box.classList.add("resolved");
      box.querySelector(".conflict-actions").textContent =
        how === "mine" ? gettext("Kept yours.") : how === "theirs" ? gettext("Took the newer text.")
          : gettext("Both texts are in the field: edit them into one.");
      settle();
    });
    if (form.dataset.conflictVersion) {
      conflictVersion = parseInt(form.dataset.conflictVersion, 10);
      adopt();
    }
  }

  if (editable) {
    form.addEventListener("input", function () { dirty = true; setState("unsaved", gettext("Unsaved changes: saving in a moment…")); schedule(); });
    form.addEventListener("change", function () { dirty = true; setState("unsaved", gettext("Unsaved changes: saving in a moment…")); schedule(); });
    window.addEventListener("online", function () { if (dirty) save(); });
    window.addEventListener("offline", function () { setState("offline", gettext("Offline: your text stays on this page and is saved when the connection is back.")); });
    window.addEventListener("beforeunload", function (e) {
      if ((dirty || saving || conflictVersion !== null) && !confirmed) { e.preventDefault(); e.returnValue = ""; }
    });
    var saveButton = document.getElementById("save-button");
    if (saveButton) saveButton.addEventListener("click", function (e) {
      e.preventDefault(); dirty = true; clearTimeout(timer); save();
    });
  }

  // --- steps that move the review on -----------------------------------------------------------
  var dialog = document.getElementById("confirm-step");

  function emptyFields() {
    var out = [], texts = 0, filled = 0;
    if (!form) return {list: out, allEmpty: false};
    form.querySelectorAll("textarea[data-label], select[data-label]").forEach(function (c) {
      var empty = !c.value.trim();
      if (c.tagName === "TEXTAREA") { texts += 1; if (!empty) filled += 1; }
      if (empty) out.push(c.dataset.label);
    });
    return {list: out, allEmpty: texts > 0 && filled === 0};
  }

  function ask(button, go) {
    var step = button.dataset.step, e = emptyFields();
    var body = document.getElementById("confirm-body"), goButton = document.getElementById("confirm-go");
    document.getElementById("confirm-title").textContent = button.textContent.trim() + "?";
    body.innerHTML = "";
    var p = document.createElement("p");
    goButton.hidden = false;
    if (step === "submit_self" && e.allEmpty) {
      p.textContent = gettext("Your self-review is empty: write at least one section before submitting it.");
      goButton.hidden = true;
    } else {
      p.textContent = irreversible(step);
    }
    body.appendChild(p);
    if (button.getAttribute("form") === "review-form" && e.list.length && !goButton.hidden) {
      var h = document.createElement("p");
      h.innerHTML = "<strong></strong>"; h.firstChild.textContent = gettext("Still empty:");
      body.appendChild(h);
      var ul = document.createElement("ul"); ul.id = "still-empty";
      e.list.forEach(function (label) { var li = document.createElement("li"); li.textContent = label; ul.appendChild(li); });
      body.appendChild(ul);
    }
    var flags = parseInt(button.dataset.openFlags || "0", 10);
    if (flags) { var f = document.createElement("p"); f.textContent = openFlags(flags); body.appendChild(f); }
    goButton.textContent = button.textContent.trim();
    goButton.onclick = function () { dialog.close(); go(); };
    document.getElementById("confirm-cancel").onclick = function () { dialog.close(); };
    dialog.showModal();
  }

  document.querySelectorAll("[data-step]").forEach(function (button) {
    button.addEventListener("click", function (e) {
      if (button.dataset.confirmed) return;
      var target = button.form || form;
      if (button.getAttribute("form") === "review-form" && conflictVersion !== null) {
        e.preventDefault();
        setState("conflict", toSettle(unresolved()));
        return;
      }
      if (!target.checkValidity()) return;  // the browser says what is missing
      e.preventDefault();
      function go() {
        // The step posts what is on the screen; an autosave still on its way finishes first, so the
        // version sent with the step is the newest one this page saved.
        clearTimeout(timer);
        Promise.resolve(saving).then(function () {
          confirmed = true;
          button.dataset.confirmed = "1";
          button.click();
        });
      }
      if (button.dataset.irreversible) ask(button, go); else go();
    });
  });
})();
