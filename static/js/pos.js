// Till ergonomics: the scan field keeps focus (a keyboard-wedge scanner types
// into whatever has focus), keys 1–9 add quick-key products, "/" searches,
// F1–F4 switch screens, F8/F9/F10 pay, Esc starts the next order. A camera
// scan uses BarcodeDetector where the browser has it.
(function () {
  function scanField() { return document.getElementById("scan"); }
  function typing(el) { return el && (el.tagName === "INPUT" || el.tagName === "SELECT" || el.tagName === "TEXTAREA") && el.id !== "scan"; }
  // Offline (till-offline.js) the same keys press the offline till's buttons.
  function click(selector) {
    if (document.body.classList.contains("till-is-offline")) selector = selector.replace("=pay-", "=offline-pay-");
    var b = document.querySelector(selector); if (b && !b.disabled) b.click();
  }

  document.addEventListener("keydown", function (e) {
    // Digits while a modifier button has the focus are most likely the
    // scanner: they go into the scan field (focused before the key lands).
    if (keepsFocus(document.activeElement) && /^[0-9]$/.test(e.key) && scanField()) { scanField().focus(); return; }
    var links = { F1: "/pos/", F2: "/pos/top-up/", F3: "/pos/orders/", F4: "/pos/shift/" };
    if (links[e.key]) { e.preventDefault(); window.location = links[e.key]; return; }
    if (e.key === "F8") { e.preventDefault(); click("[data-testid=pay-wallet]"); return; }
    if (e.key === "F9") { e.preventDefault(); click("[data-testid=pay-card]"); return; }
    if (e.key === "F10") { e.preventDefault(); click("[data-testid=pay-cash]"); return; }
    if (e.key === "Escape") { click("#next-order"); return; }
    if (typing(document.activeElement)) return;
    if (e.key === "/") { e.preventDefault(); var s = document.getElementById("menu-search"); if (s) s.focus(); return; }
    var field = scanField();
    if (/^[1-9]$/.test(e.key) && (!field || field.value === "") ) {
      var quick = document.querySelector('[data-quick="' + e.key + '"]');
      if (quick) { e.preventDefault(); quick.click(); }
    }
  });

  // Was the last thing the barista did a key press (Tab, Enter, Space) or a
  // tap? A button pressed from the keyboard keeps the focus (htmx puts it
  // back on the new button with the same id), so they carry on from there;
  // after a tap the scan field takes the focus again for the scanner.
  var byKeyboard = false;
  document.addEventListener("keydown", function () { byKeyboard = true; }, true);
  document.addEventListener("pointerdown", function () { byKeyboard = false; }, true);
  function keepsFocus(el) { return byKeyboard && el && el.hasAttribute && el.hasAttribute("data-keep-focus"); }

  // Keep the scan field focused after every cart update.
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "cart") {
      var field = scanField();
      var now = document.activeElement;
      if (field && !typing(now) && !keepsFocus(now)) field.focus();
      setupCamera();
    }
  });

  function setupCamera() {
    var button = document.getElementById("camera-scan");
    if (!button || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
    button.hidden = false;
    button.onclick = async function () {
      var detector = new window.BarcodeDetector({ formats: ["qr_code", "code_128", "ean_13"] });
      var stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      var video = document.createElement("video");
      video.srcObject = stream; await video.play();
      var timer = setInterval(async function () {
        var codes = await detector.detect(video);
        if (codes.length) {
          clearInterval(timer); stream.getTracks().forEach(function (t) { t.stop(); });
          var field = scanField(); field.value = codes[0].rawValue; field.form.requestSubmit();
        }
      }, 250);
    };
  }
  document.addEventListener("DOMContentLoaded", setupCamera);
})();
