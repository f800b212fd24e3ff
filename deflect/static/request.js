// Step 3, progressively enhanced: subject preview, targets for the chosen tag and plan, and fields
// shown only for some choices (without JavaScript every field is shown, marked "only if ...").
(function () {
  "use strict";
  var tag = document.getElementById("tag-select");
  var summary = document.getElementById("summary-input");
  var preview = document.getElementById("subject-preview");
  var plan = document.getElementById("plan");

  function update() {
    if (preview && tag && summary) preview.textContent = "[" + tag.value + "] " + summary.value.trim().replace(/\s+/g, " ");
    document.querySelectorAll("#targets tr[data-tag]").forEach(function (row) {
      var chosen = tag && row.dataset.tag === tag.value;
      row.classList.toggle("chosen", chosen);
      row.querySelectorAll("td").forEach(function (cell) {
        cell.classList.toggle("chosen", chosen && plan && cell.dataset.plan === plan.value);
      });
    });
    document.querySelectorAll("[data-show-field]").forEach(function (box) {
      var other = document.getElementById(box.dataset.showField);
      if (!other) return;
      var wanted = JSON.parse(box.dataset.showValues);
      box.hidden = wanted.indexOf(other.value) === -1;
    });
  }

  document.addEventListener("input", update);
  document.addEventListener("change", update);
  update();
})();
