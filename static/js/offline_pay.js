// "Pay offline on this phone" (issue 18): the phone side.
//
// Turning it on (with the network, after the member confirms it is them):
// the phone makes an ECDSA P-256 key pair whose private half can never be
// read out (extractable false), sends the public half (SPKI) and the amount
// to set aside, and keeps the key pair, the certificate the server signs and
// a counter in IndexedDB (CryptoKey objects are stored as they are).
//
// With no network the Pay page comes from the service worker (pay_sw.js) and
// this script shows an offline code: the certificate, the next counter, the
// time and the most the code may pay, signed with the device key; the bytes
// are laid out in payments/services/offline/formats.py ("OF1." + base64url).
// WebCrypto's ECDSA signature is already r || s, the format the till checks.
//
// While it shows the offline code the page is calm about having no network:
// the site's red "nothing was sent" banner (app.js) stays away, the code's own
// notice says it works offline, and the page's htmx polls (the one-minute
// code, payments waiting, the inbox badge) are not sent until it is back.
(function () {
  "use strict";
  var panel = document.getElementById("offline-pay");
  var codePanel = document.getElementById("offline-code");
  if (!panel || !codePanel) return;

  var DB_NAME = "cafe-offline-pay";
  var STORE = "device";
  var KEY = "current";
  // Set before the reauthentication page; the member asked to turn it on.
  var PENDING = "cafe-offline-enable-pending";
  var CERT_SIZE = 162;
  var SIGNED_SIZE = CERT_SIZE + 12;
  var data = panel.dataset;
  var exponent = parseInt(data.exponent, 10) || 0;
  var lang = document.documentElement.lang || undefined;
  var message = document.getElementById("offline-message");

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(data.worker, { scope: data.scope }).catch(function () {});
  }

  // --- Storage: one record, the phone's key pair, certificate and counter ---
  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  // One transaction; `work(store, done)` may read and write, and calls
  // done(value) with what the promise resolves to once it commits.
  function transact(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var value;
        work(tx.objectStore(STORE), function (result) { value = result; });
        tx.oncomplete = function () { db.close(); resolve(value); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function load() {
    return transact("readonly", function (store, done) {
      var get = store.get(KEY);
      get.onsuccess = function () { done(get.result); };
    });
  }

  function save(record) {
    return transact("readwrite", function (store) { store.put(record, KEY); });
  }

  function forget() {
    return transact("readwrite", function (store) { store.delete(KEY); });
  }

  // The next counter, read and written in one transaction, so two tabs never
  // make two codes with the same counter, and a counter is spent before the
  // code is shown (a code shown and never used just skips a number).
  function takeCounter() {
    return transact("readwrite", function (store, done) {
      var get = store.get(KEY);
      get.onsuccess = function () {
        var record = get.result;
        if (!record) return;
        record.counter += 1;
        store.put(record, KEY);
        done(record);
      };
    });
  }

  // --- Bytes and text ---
  function b64url(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function fromB64url(text) {
    var plain = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    var bytes = new Uint8Array(plain.length);
    for (var i = 0; i < plain.length; i++) bytes[i] = plain.charCodeAt(i);
    return bytes;
  }

  function money(minor) {
    var scale = Math.pow(10, exponent);
    var digits = minor % scale ? exponent : 0;
    return data.symbol + new Intl.NumberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits })
      .format(minor / scale);
  }

  // What a person types (major units) as minor units; NaN when it is not an amount.
  function minorUnits(text) {
    var value = Number(String(text).replace(/,/g, ""));
    return value > 0 ? Math.round(value * Math.pow(10, exponent)) : NaN;
  }

  function forInput(minor) {
    return String(minor / Math.pow(10, exponent));
  }

  function say(text) { message.textContent = text || ""; }

  function show(root, state) {
    root.querySelectorAll("[data-offline-when]").forEach(function (el) {
      el.hidden = el.getAttribute("data-offline-when").split(" ").indexOf(state) === -1;
    });
  }

  function field(name, text) {
    document.querySelectorAll('[data-offline-field="' + name + '"]').forEach(function (el) { el.textContent = text; });
  }

  // --- The offline code ---
  function makeCode(cap) {
    return takeCounter().then(function (record) {
      if (!record) throw new Error("off");
      var signed = new Uint8Array(SIGNED_SIZE);
      signed.set(fromB64url(record.certificate), 0);
      var view = new DataView(signed.buffer);
      view.setUint32(CERT_SIZE, record.counter);
      view.setUint32(CERT_SIZE + 4, Math.floor(Date.now() / 1000));
      view.setUint32(CERT_SIZE + 8, cap);
      return crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, record.keys.privateKey, signed)
        .then(function (signature) {
          var code = new Uint8Array(SIGNED_SIZE + 64);
          code.set(signed, 0);
          code.set(new Uint8Array(signature), SIGNED_SIZE);
          return { text: "OF1." + b64url(code), counter: record.counter };
        });
    });
  }

  // The QR as an SVG path, one square per dark module (no inline style: the
  // Content Security Policy forbids it).
  function qrSvg(text) {
    var qr = qrcodegen.QrCode.encodeText(text, qrcodegen.QrCode.Ecc.LOW);
    var border = 2;
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    var side = qr.size + border * 2;
    svg.setAttribute("viewBox", "0 0 " + side + " " + side);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", document.getElementById("offline-code-title").textContent);
    svg.setAttribute("data-version", String(qr.version));
    svg.setAttribute("data-mask", String(qr.mask));
    svg.setAttribute("data-ecc", String(qr.errorCorrectionLevel.ordinal));
    var background = document.createElementNS(ns, "rect");
    background.setAttribute("width", String(side));
    background.setAttribute("height", String(side));
    background.setAttribute("fill", "#fff");
    svg.appendChild(background);
    var d = [];
    for (var y = 0; y < qr.size; y++) {
      for (var x = 0; x < qr.size; x++) {
        if (qr.getModule(x, y)) d.push("M" + (x + border) + "," + (y + border) + "h1v1h-1z");
      }
    }
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", d.join(""));
    path.setAttribute("fill", "#000");
    svg.appendChild(path);
    return svg;
  }

  function showCode(cap) {
    return makeCode(cap).then(function (code) {
      var box = codePanel.querySelector("[data-testid=offline-qr]");
      box.replaceChildren(qrSvg(code.text));
      var text = document.getElementById("offline-code-text");
      text.value = code.text;
      text.dataset.counter = String(code.counter);
    });
  }

  // Both the load and an "offline" event may ask; one code is made, not two.
  var offline = false;

  // Online-only parts (the one-minute code, top-up and set-up) go while offline.
  function onlineParts(visible) {
    var code = document.getElementById("pay-code");
    if (code) code.hidden = !visible;
    document.querySelectorAll("[data-online-only]").forEach(function (el) { el.hidden = !visible; });
    codePanel.hidden = visible;
  }

  function when(iso) {
    return new Date(iso).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
  }

  // Offline, the page's polls would only fail (and each failure raise the
  // alarm): they are held back, and run again once the network is back.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (offline) event.preventDefault();
  });
  var alarm = document.getElementById("offline-banner");
  var probe = null;

  function offlineMode() {
    if (offline) return Promise.resolve();
    offline = true;
    document.body.setAttribute("data-offline-calm", "");
    if (alarm) alarm.hidden = true;
    // Gone offline with the browser still saying it is online (a poll found
    // no server): ask now and then, as "online" will not come.
    if (navigator.onLine && !probe) {
      probe = setInterval(function () { refresh().then(onlineMode, function () {}); }, 15000);
    }
    onlineParts(false);
    return load().then(function (record) {
      if (!record) { show(codePanel, "off"); return; }
      if (Date.now() > Date.parse(record.expiresAt)) { show(codePanel, "expired"); return; }
      show(codePanel, "ready");
      field("allowance", money(record.allowance));
      field("expires", when(record.expiresAt));
      var left = Math.min(record.left, record.allowance);
      var cap = document.getElementById("offline-cap");
      cap.max = forInput(record.allowance);
      if (!cap.value) cap.value = forInput(left);
      return showCode(left);
    });
  }

  function onlineMode() {
    clearInterval(probe);
    probe = null;
    if (!offline) return;
    offline = false;
    document.body.removeAttribute("data-offline-calm");
    onlineParts(true);
    // A fresh one-minute code at once, not at the next poll.
    if (window.htmx && document.getElementById("pay-code")) window.htmx.trigger("#pay-code", "refresh-code");
  }

  // --- Turning it on and off (with the network) ---
  function post(url, body) {
    var token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().then(function (answer) { return { status: response.status, body: answer }; });
    });
  }

  function enable(allowance, afterReauthentication) {
    if (!window.crypto || !crypto.subtle || !window.indexedDB) { say(data.unsupported); return Promise.resolve(); }
    var keys;
    say("");
    return crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])
      .then(function (pair) {
        keys = pair;
        return crypto.subtle.exportKey("spki", pair.publicKey);  // a public key is always exportable
      })
      .then(function (spki) { return post(data.enableUrl, { public_key: b64url(new Uint8Array(spki)), allowance: allowance }); })
      .then(function (answer) {
        if (answer.body.code === "reauthentication_required" && answer.body.reauthenticate_url && !afterReauthentication) {
          sessionStorage.setItem(PENDING, String(allowance));
          window.location.assign(answer.body.reauthenticate_url);
          return;
        }
        if (answer.status !== 201) { say(answer.body.detail); return; }
        return save({
          keys: keys,
          certificate: answer.body.certificate,
          certificateId: answer.body.certificate_id,
          allowance: answer.body.allowance,
          left: answer.body.allowance,
          expiresAt: answer.body.expires_at,
          counter: 0,
        }).then(refresh);
      }, function () { say(data.unreachable); });
  }

  function disable() {
    return post(data.disableUrl).then(function (answer) {
      return forget().then(function () {
        say(data.returned.replace("{amount}", money(answer.body.returned || 0)));
        return refresh();
      });
    }, function () { say(data.unreachable); });
  }

  // The server's word, with the network: is it on, for this phone, how much is left.
  function refresh() {
    return fetch(data.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .catch(function (error) { error.network = true; throw error; })
      .then(function (response) {
        if (!response.ok) throw new Error("offline status " + response.status);
        return response.json();
      })
      .then(function (status) {
        return load().then(function (record) {
          var mine = status.enabled && record && record.certificateId === status.certificate_id;
          field("cap", money(status.cap));
          var input = document.getElementById("offline-allowance");
          input.max = forInput(status.cap);
          if (!input.value) input.value = forInput(status.default_allowance);
          if (!mine && record) record = null;
          var stale = mine ? null : forget();  // turned off here or elsewhere, ended, or replaced
          if (mine) {
            record.left = status.left;
            field("allowance", money(status.allowance));
            field("left", money(status.left));
            field("expires", when(status.expires_at));
            show(panel, "on");
            return save(record);
          }
          show(panel, status.enabled ? "other" : status.frozen ? "frozen" : "off");
          return stale;
        });
      });
  }

  document.getElementById("offline-enable-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var allowance = minorUnits(document.getElementById("offline-allowance").value);
    if (!isNaN(allowance)) enable(allowance, false);
  });
  document.getElementById("offline-disable").addEventListener("click", function () { disable(); });
  document.getElementById("offline-code-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var cap = minorUnits(document.getElementById("offline-cap").value);
    if (!isNaN(cap)) showCode(cap);
  });
  window.addEventListener("offline", function () { offlineMode(); });
  // A poll that found no server: the network is gone although the browser did not say so.
  document.addEventListener("htmx:sendError", function () { offlineMode(); });
  window.addEventListener("online", function () { onlineMode(); refresh().catch(function () {}); });

  function start() {
    if (!navigator.onLine) return offlineMode();
    return refresh().then(function () {
      var pending = sessionStorage.getItem(PENDING);
      sessionStorage.removeItem(PENDING);
      // Back from confirming who it is: carry on turning it on (once).
      if (pending) return enable(parseInt(pending, 10), true);
    }, function (error) {
      // Only a network that is not there means offline; a server or storage
      // problem leaves the online code alone and hides what cannot work.
      if (error && error.network) return offlineMode();
      panel.hidden = true;
    });
  }
  start();
})();
