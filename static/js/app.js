// Site-wide behaviour: a visible banner whenever the network is gone or an
// htmx request could not be sent, so no action is silently dropped.
(function () {
  function banner(show) {
    var el = document.getElementById("offline-banner");
    if (el) el.hidden = !show;
  }
  window.addEventListener("offline", function () { banner(true); });
  window.addEventListener("online", function () { banner(false); });
  document.addEventListener("htmx:sendError", function () { banner(true); });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful !== undefined && event.detail.xhr && event.detail.xhr.status > 0) banner(false);
  });
  if (!navigator.onLine) banner(true);
})();
