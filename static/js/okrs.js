// Check in without leaving the page: post the form, then replace the key result's row with the
// one the server draws (value, progress, status, last check-in, history) and update the score.
// Its words come from Django's JavaScript catalog (gettext, loaded by base.html before it).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.matches || !form.matches("form.checkin")) return;
  event.preventDefault();
  var row = form.closest("tr");
  var errors = form.querySelector("[data-errors]");
  errors.textContent = "";
  fetch(form.action, {
    method: "POST", body: new FormData(form), credentials: "same-origin",
    headers: {"Accept": "application/json"},
  }).then(function (r) { return r.json(); }).then(function (data) {
    if (!data.ok) {
      errors.textContent = Object.keys(data.errors).map(function (k) { return data.errors[k].join(" "); }).join(" ");
      return;
    }
    var card = row.closest(".objective");
    var holder = document.createElement("tbody");
    holder.innerHTML = data.row_html;
    var fresh = holder.querySelector("tr");
    row.replaceWith(fresh);
    var saved = fresh.querySelector("[data-errors]");
    if (saved) { saved.textContent = "✔ " + gettext("saved"); saved.setAttribute("role", "status"); }
    if (card) {
      var score = card.querySelector("[data-score]");
      if (score) { score.firstChild.textContent = data.objective_score + " "; score.className = "score " + data.band; }
      card.className = card.className.replace(/band-\S+/, "band-" + (data.band || "none"));
    }
    var bar = document.querySelector('[data-objective-bar="' + (card && card.dataset.objective) + '"]');
    if (bar) { bar.querySelector("span").style.width = (parseFloat(data.objective_score) * 100) + "%"; }
  }).catch(function () { errors.textContent = gettext("Could not save: try again."); });
});
