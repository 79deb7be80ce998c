// Guardrail console: live updates. The server sends `change` over
// server-sent events whenever the record grows; the page then fetches
// itself again and swaps in its new <main>, unless the person is typing
// in a form (their words are never thrown away): then it says so.
(function () {
  "use strict";
  var main = document.getElementById("main");
  var status = document.getElementById("live-status");
  if (!main || !window.EventSource) return;

  function typing() {
    var active = document.activeElement;
    if (!active || !main.contains(active)) return false;
    var tag = active.tagName;
    return tag === "TEXTAREA" || (tag === "INPUT" && active.type !== "hidden" && active.value !== active.defaultValue);
  }

  function say(text) {
    if (status) status.textContent = text;
  }

  var busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    if (typing()) { say("New activity: reload to see it."); return; }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (response.redirected || !response.ok) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("main");
        if (next && !typing()) {
          main.innerHTML = next.innerHTML;
          say("Updated " + new Date().toLocaleTimeString());
        }
      })
      .catch(function () { say("Live updates paused: reload the page."); })
      .finally(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  // Only pages whose content lives (not a form's result, such as a replay).
  if (main.dataset.live !== "true" || document.querySelector("#replayed")) return;
  var source = new EventSource("/console/events?after=" + encodeURIComponent(main.dataset.seen || "0"));
  source.addEventListener("change", refresh);
  source.onopen = function () { document.body.dataset.live = "connected"; };
  source.onerror = function () { document.body.dataset.live = "lost"; };
})();
