// Keeps an investigation's detail page current while it runs: polls the API for status
// and progress, and reloads the page once the investigation reaches its end.
(function () {
  "use strict";
  var card = document.getElementById("status-card");
  if (!card) return;
  var finished = ["completed", "partial", "failed", "cancelled", "draft"];
  if (finished.indexOf(card.dataset.status) !== -1) return;

  function poll() {
    fetch(card.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        document.getElementById("progress-bar").style.width = data.progress + "%";
        document.getElementById("progress-text").textContent = data.progress;
        if (finished.indexOf(data.status) !== -1) { window.location.reload(); return; }
        setTimeout(poll, 1500);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
