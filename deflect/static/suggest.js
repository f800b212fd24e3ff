// Step 1, progressively enhanced: matching articles appear as the customer types (debounced).
(function () {
  "use strict";
  var form = document.getElementById("describe");
  var input = document.getElementById("q");
  var box = document.getElementById("live-suggestions");
  if (!form || !input || !box || !window.fetch) return;
  var timer = null, last = "";

  function render(results) {
    box.textContent = "";
    if (!results.length) return;
    var heading = document.createElement("h2");
    heading.textContent = "Articles that may answer it";
    var list = document.createElement("ol");
    list.className = "articles";
    results.forEach(function (r) {
      var item = document.createElement("li");
      item.className = "article";
      var link = document.createElement("a");
      link.href = r.url;
      link.textContent = r.title;  // text, never HTML
      var snippet = document.createElement("p");
      snippet.className = "snippet";
      snippet.textContent = r.snippet.replace(/<\/?mark>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#x27;|&#39;/g, "'").replace(/&amp;/g, "&");
      item.appendChild(link);
      item.appendChild(snippet);
      list.appendChild(item);
    });
    box.appendChild(heading);
    box.appendChild(list);
  }

  function lookup() {
    var q = input.value.trim();
    if (q === last || q.length < 3) return;
    last = q;
    fetch(form.dataset.suggest + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) { if (input.value.trim() === q) render(data.results || []); })
      .catch(function () { /* suggestions are a help, never a blocker */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 300);
  });
})();
