// Step 3, progressively enhanced: subject preview, targets for the chosen tag and plan, and fields
// shown only for some choices (without JavaScript every field is shown, marked "only if ...").
(function () {
  "use strict";
  var tag = document.getElementById("tag-select");
  var summary = document.getElementById("summary-input");
  var preview = document.getElementById("subject-preview");
  var plan = document.getElementById("plan");

  // The values chosen in a dropdown or a group of checkboxes, by the field's name.
  function chosen(name) {
    var values = [];
    document.querySelectorAll("[name='" + name + "']").forEach(function (control) {
      if (control.options) {
        Array.prototype.forEach.call(control.options, function (o) { if (o.selected) values.push(o.value); });
      } else if (control.checked) {
        values.push(control.value);
      }
    });
    return values;
  }

  function update() {
    if (preview && tag && summary) preview.textContent = "[" + tag.value + "] " + summary.value.trim().replace(/\s+/g, " ");
    document.querySelectorAll("#targets tr[data-tag]").forEach(function (row) {
      var picked = tag && row.dataset.tag === tag.value;
      row.classList.toggle("chosen", picked);
      row.querySelectorAll("td").forEach(function (cell) {
        cell.classList.toggle("chosen", picked && plan && cell.dataset.plan === plan.value);
      });
    });
    document.querySelectorAll("[data-show-field]").forEach(function (box) {
      var wanted = JSON.parse(box.dataset.showValues);
      box.hidden = !chosen(box.dataset.showField).some(function (value) { return wanted.indexOf(value) !== -1; });
    });
  }

  document.addEventListener("input", update);
  document.addEventListener("change", update);
  update();
})();
