// Pay screen: count down the code's validity and refresh it early if the
// phone slept past the htmx timer (a stale code at the till is a refused sale).
(function () {
  function tick() {
    var el = document.querySelector("#pay-code .countdown");
    if (!el) return;
    var left = Math.round((new Date(el.dataset.expires) - new Date()) / 1000);
    if (left <= 5 && window.htmx) {
      el.dataset.expires = new Date(Date.now() + 60000).toISOString();
      window.htmx.ajax("POST", document.getElementById("pay-code").getAttribute("hx-post"), "#pay-code");
      return;
    }
    el.textContent = el.textContent.replace(/\d+ s/, Math.max(left, 0) + " s");
  }
  setInterval(tick, 1000);
  // Back from the lock screen or another app: a new code at once.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && window.htmx) window.htmx.trigger("#pay-code", "refresh-code");
  });
})();
