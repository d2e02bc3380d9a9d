// Site-wide behaviour: a visible banner whenever the network is gone or an
// htmx request could not be sent, so no action is silently dropped.
(function () {
  function banner(show) {
    // The till sells on offline and says so itself (till-offline.js).
    if (document.getElementById("till-offline")) return;
    // A page that says calmly what still works (the Pay page showing an
    // offline code, offline_pay.js) needs no alarm on top of it.
    if (show && document.body.hasAttribute("data-offline-calm")) return;
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

// Small behaviours declared in the markup with data- attributes: the Content
// Security Policy allows no inline script or event handler on any page.
(function () {
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    var ask = target.closest("[data-confirm]");
    if (ask && !window.confirm(ask.getAttribute("data-confirm"))) { event.preventDefault(); return; }
    if (target.closest("[data-print]")) { window.print(); return; }
    if (target instanceof HTMLInputElement && target.hasAttribute("data-select-on-click")) { target.select(); return; }
    var fill = target.closest("[data-fill]");
    if (fill) {
      var field = document.getElementById(fill.getAttribute("data-fill"));
      if (field) { field.value = fill.getAttribute("data-value"); field.focus(); }
      return;
    }
    var share = target.closest("[data-share]");
    if (share) {
      var link = document.getElementById(share.getAttribute("data-share"));
      if (!link) return;
      if (navigator.share) navigator.share({ url: link.value }).catch(function () {});
      else if (navigator.clipboard) navigator.clipboard.writeText(link.value);
    }
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) target.form.submit();
  });
  // A page made to be printed (the till's order-ahead ticket) opens the print dialog at once.
  window.addEventListener("load", function () { if (document.body.hasAttribute("data-autoprint")) window.print(); });
})();

// A countdown (payment approval): data-countdown="<seconds left>" shows m:ss
// in its .countdown-clock; at zero it says data-countdown-done and disables the
// buttons of the form named by data-countdown-disable (the server refuses a
// late answer anyway: the payment has expired).
(function () {
  function start(el) {
    var ends = Date.now() + parseInt(el.getAttribute("data-countdown"), 10) * 1000;
    var clock = el.querySelector(".countdown-clock");
    function tick() {
      var left = Math.max(0, Math.round((ends - Date.now()) / 1000));
      if (clock) clock.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (left > 0) { window.setTimeout(tick, 250); return; }
      el.textContent = el.getAttribute("data-countdown-done");
      el.classList.add("is-over");
      el.setAttribute("role", "alert");
      var form = document.getElementById(el.getAttribute("data-countdown-disable") || "");
      if (form) form.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
    }
    tick();
  }
  function startAll() { document.querySelectorAll("[data-countdown]").forEach(start); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startAll);
  else startAll();
})();
