// Check in without leaving the page: post the form, update the row from the JSON answer.
document.querySelectorAll("form.checkin").forEach(function (form) {
  form.addEventListener("submit", function (event) {
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
      row.querySelector("[data-progress]").value = data.progress;
      row.querySelector("[data-progress-text]").textContent = data.progress;
      var status = row.querySelector("[data-status]");
      status.textContent = data.status_label;
      status.className = "status " + data.status;
      if (data.current !== null) row.querySelector("[data-current]").textContent = data.current;
      var card = form.closest(".objective");
      var score = card.querySelector("[data-score]");
      score.firstChild.textContent = data.objective_score + " ";
      score.className = "score " + data.band;
      form.reset();
      errors.textContent = "✔";
    }).catch(function () { errors.textContent = "Could not save: try again."; });
  });
});
