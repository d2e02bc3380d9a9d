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
  // A payment just went through: the code on screen is spent and its balance
  // line is out of date, so fetch a new code (once per payment) rather than
  // leave a used code up for the rest of its minute.
  function recentPayment() {
    var el = document.querySelector("#pay-pending [data-payment]");
    return el ? el.dataset.payment : "";
  }
  var seen = recentPayment();
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "pay-pending") return;
    var now = recentPayment();
    if (now && now !== seen && window.htmx) window.htmx.trigger("#pay-code", "refresh-code");
    seen = now;
  });
  // Back from the lock screen or another app: a new code at once.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && window.htmx) window.htmx.trigger("#pay-code", "refresh-code");
  });
})();
