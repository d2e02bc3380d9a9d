// Orders ahead at the till. Panels marked data-etag-poll (the queue, the tab's
// badge) send the ETag of what they show; the server answers 304 while the
// queue is unchanged and the panel is left as it is. An order that was not
// on the screen before flashes, and with the chime on (remembered in
// localStorage, off by default) a short beep sounds.
(function () {
  var CHIME = "cafe.ahead.chime";
  var audio = null;

  function chimeOn() { try { return window.localStorage.getItem(CHIME) === "on"; } catch (e) { return false; } }
  function context() {
    var Audio = window.AudioContext || window.webkitAudioContext;
    if (!audio && Audio) audio = new Audio();
    return audio;
  }
  function beep() {
    if (!chimeOn()) return;
    var ctx = context();
    if (!ctx) return;
    if (ctx.state === "suspended") ctx.resume();
    var tone = ctx.createOscillator(), gain = ctx.createGain(), t = ctx.currentTime;
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, t);
    gain.gain.exponentialRampToValueAtTime(0.001, t + 0.5);
    tone.connect(gain); gain.connect(ctx.destination);
    tone.start(t); tone.stop(t + 0.5);
  }
  // Browsers start sound only after a tap on the page: any tap wakes it.
  document.addEventListener("pointerdown", function () { if (chimeOn() && context() && audio.state === "suspended") audio.resume(); }, true);

  function showChime() {
    var button = document.getElementById("ahead-chime");
    if (!button) return;
    var on = chimeOn();
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = button.getAttribute(on ? "data-on" : "data-off");
  }
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("#ahead-chime") : null;
    if (!button) return;
    try { window.localStorage.setItem(CHIME, chimeOn() ? "off" : "on"); } catch (e) { return; }
    showChime();
    beep();  // so the barista hears what it sounds like
  });

  function polled(elt) { return elt instanceof Element && elt.hasAttribute("data-etag-poll"); }
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (polled(elt) && event.detail.verb === "get" && elt.getAttribute("data-etag")) {
      event.detail.headers["If-None-Match"] = elt.getAttribute("data-etag");
    }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 304) event.detail.shouldSwap = false;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var target = event.detail.target, xhr = event.detail.xhr;
    var tag = xhr && xhr.status >= 200 && xhr.status < 300 ? xhr.getResponseHeader("ETag") : null;
    if (polled(target) && tag) target.setAttribute("data-etag", tag);
  });

  // Orders on screen: a new one flashes and chimes (not those there at load).
  var known = null;
  function markArrivals() {
    var cards = Array.prototype.slice.call(document.querySelectorAll("[data-ahead-order]"));
    var arrived = false;
    if (known !== null) {
      cards.forEach(function (card) {
        if (!known[card.getAttribute("data-ahead-order")]) { card.classList.add("is-arrived"); arrived = true; }
      });
    }
    known = {};
    cards.forEach(function (card) { known[card.getAttribute("data-ahead-order")] = true; });
    if (arrived) beep();
  }
  // Away from the queue, the tab's badge chimes when more orders wait.
  var waiting = null;
  function badgeChanged(badge) {
    var now = parseInt((badge.querySelector("[data-waiting]") || badge).getAttribute("data-waiting") || "0", 10);
    if (waiting !== null && now > waiting && !document.getElementById("ahead-queue")) beep();
    waiting = now;
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!(target instanceof Element)) return;
    if (target.id === "ahead-queue") markArrivals();
    if (target.id === "ahead-badge") badgeChanged(target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    showChime();
    if (document.getElementById("ahead-queue")) markArrivals();
  });
})();
