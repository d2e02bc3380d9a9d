// The till with no network. Online, the till is the server's (htmx); this
// script only installs the service worker (templates/pos/till-sw.js), keeps
// the menu and the programme's keys, and sends any sales left from a time
// offline. When a request fails or the browser says it is offline, within a
// second it shows the offline till instead: a banner with the number of
// sales waiting, a cart drawn from the kept menu with each drink's options
// (till-offline-cart.js), cash and card, and wallet only with an offline code
// checked here (offline-code.js), for the whole sale or, when the code may
// pay less, for part of it with the rest by cash or card. Each sale goes
// into IndexedDB with a key made here, the shift and the prices shown; when
// the network is back they are sent in order, in batches, to
// POST /api/v1/offline/sales, one tab at a time (Web Locks), and what the
// server refuses stays listed until the barista marks it settled.
// Words come translated from #till-offline's data-t-* attributes.
(function () {
  "use strict";
  var root = document.getElementById("till-offline");
  if (!root) return;
  var BATCH = 50;
  var LOCK = "cafe-till-sync";
  var data = root.dataset;

  function t(name, values) {
    var text = root.getAttribute("data-t-" + name) || name;
    return text.replace(/%\((\w+)\)s/g, function (_m, key) { return values && key in values ? values[key] : ""; });
  }
  function $(selector) { return root.querySelector(selector); }
  var exponent = parseInt(data.exponent || "2", 10), unit = Math.pow(10, exponent);
  function money(amount) {
    var lang = document.documentElement.lang || "en";
    var value = amount / unit;
    var text = amount % unit === 0 ? value.toLocaleString(lang) : value.toLocaleString(lang, { minimumFractionDigits: exponent });
    return (data.currency || "") + text;
  }

  // --- IndexedDB (till-offline-store.js): sales waiting, refusals to settle, offline codes taken.
  var inTx = window.CafeTillStore.inTx, all = window.CafeTillStore.all;

  // --- State
  // code: the offline code checked for this cart, {parsed, amount}: `amount`
  // is what it may pay (the whole total, or less: the rest by cash or card).
  var offline = false, menu = null, keys = null, code = null, syncing = false;
  var cart = window.CafeOfflineCart({ t: t, money: money, changed: cartChanged });
  var progress = null; // {done, count} while sending

  function show(el, visible) { if (el) el.hidden = !visible; }
  function say(kind, text) {
    show($("[data-offline-error]"), kind === "error");
    show($("[data-offline-notice]"), kind === "notice");
    if (kind) $(kind === "error" ? "[data-offline-error]" : "[data-offline-notice]").textContent = text;
  }

  function banner(waiting, refusals) {
    var el = $("[data-offline-banner]"), text = "";
    if (offline) {
      text = waiting === 0 ? t("offline-none") : waiting === 1 ? t("offline-one") : t("offline-many", { count: waiting });
    } else if (progress) {
      text = t("sending", progress);
    } else if (waiting) {
      text = t("waiting-online", { count: waiting });
    }
    el.textContent = text;
    el.classList.toggle("is-offline", offline);
    show(el, !!text);
    show(root, offline || !!text || refusals.length > 0);
  }

  function refresh() {
    return Promise.all([all("sales"), all("refusals")]).then(function (found) {
      banner(found[0].length, found[1]);
      drawWaiting(found[0]);
      drawRefusals(found[1]);
      return found[0].length;
    });
  }

  // --- Offline mode
  var heartbeat = null;
  function goOffline() {
    if (offline) return;
    offline = true;
    document.body.classList.add("till-is-offline");
    document.querySelectorAll("[data-online-till]").forEach(function (el) { el.hidden = true; });
    show($("[data-offline-till]"), true);
    drawMenu();
    drawCart();
    refresh();
    if (!heartbeat) heartbeat = setInterval(probe, 2000);
  }
  function goOnline() {
    if (!offline) return;
    offline = false;
    clearInterval(heartbeat);
    heartbeat = null;
    // A sale half rung up stays on the offline till until it is paid.
    if (cart.isEmpty()) leaveOfflineTill();
    refresh().then(sync);
  }
  function leaveOfflineTill() {
    document.body.classList.remove("till-is-offline");
    show($("[data-offline-till]"), false);
    document.querySelectorAll("[data-online-till]").forEach(function (el) { el.hidden = false; });
    code = null;
    say(null);
  }
  function probe() {
    fetch(data.healthUrl, { cache: "no-store" }).then(function (r) { if (r.ok) goOnline(); }, function () {});
  }

  window.addEventListener("offline", goOffline);
  window.addEventListener("online", probe);
  document.addEventListener("htmx:sendError", goOffline);

  // --- Menu and keys: from the network, or the service worker's copy.
  function loadMenu() {
    return fetch(data.menuUrl, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok || r.redirected) throw new Error("menu " + r.status);
      return r.json();
    }).then(function (answer) { menu = answer; if (offline) drawMenu(); return answer; });
  }
  function loadKeys() {
    return fetch(data.keysUrl, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok || r.redirected) throw new Error("keys " + r.status);
      return r.json();
    }).then(function (answer) { keys = answer.keys; return keys; });
  }

  function drawMenu() {
    var box = $("[data-offline-menu]");
    box.textContent = "";
    if (!menu) return;
    menu.categories.forEach(function (category) {
      var heading = document.createElement("h2");
      heading.className = "pos-cat";
      heading.textContent = category.name;
      var grid = document.createElement("div");
      grid.className = "pos-grid";
      category.products.forEach(function (product) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "pos-product";
        button.dataset.testid = "offline-product-" + product.sku;
        button.textContent = product.name;
        var price = document.createElement("span");
        price.textContent = product.price_label;
        button.appendChild(price);
        button.addEventListener("click", function () { add(product); });
        grid.appendChild(button);
      });
      box.appendChild(heading);
      box.appendChild(grid);
    });
  }

  // --- The offline cart (till-offline-cart.js) and what may pay it
  function add(product) {
    cart.add(product);
    $("#offline-scan").focus(); // for the scanner, as online
  }
  function cartChanged() {
    code = null; // the amount changed: the code is checked again against the new total
    say(null);
    drawCart();
  }
  function drawCart() {
    cart.draw($("[data-offline-lines]"));
    var amount = cart.total();
    var split = !!code && code.amount < amount; // the code pays part; cash or card the rest
    $("[data-offline-total]").textContent = money(amount);
    root.querySelectorAll("[data-tender]").forEach(function (button) {
      var kind = button.dataset.tender, wallet = kind === "offline_wallet", both = kind.indexOf("split-") === 0;
      button.disabled = !amount || (wallet && (!code || split));
      show(button, both ? split : !(wallet && split));
      if (both && split) {
        button.textContent = t(kind, { wallet: money(code.amount), rest: money(amount - code.amount) });
      }
    });
  }

  // --- Offline codes: checked against this till's record of each certificate.
  function codeLookup(parsed) {
    return inTx(["codes"], "readonly", function (s) { return s.codes.index("cert").getAll(parsed.certId); }).then(function (uses) {
      return {
        seen: uses.some(function (u) { return u.counter === parsed.counter; }),
        spent: uses.reduce(function (sum, u) { return sum + u.amount; }, 0),
      };
    });
  }
  function checkCode(text, amount) {
    return window.CafeOfflineCode.check(text, { amount: amount, keys: keys || [], lookup: codeLookup });
  }
  function refusalText(result) {
    return result.reason === "left" ? t("left", { amount: money(result.left) }) : t(result.reason);
  }
  $("[data-offline-scan]").addEventListener("submit", function (event) {
    event.preventDefault();
    var field = event.target.elements.code, text = field.value.trim();
    field.value = "";
    if (!text) return;
    if (cart.isEmpty()) { say("error", t("code-first")); return; }
    var amount = cart.total();
    // The code pays what it may, up to the total (partial): at most its cap
    // and what its certificate has left on this till.
    window.CafeOfflineCode.check(text, { amount: amount, keys: keys || [], lookup: codeLookup, partial: true }).then(function (result) {
      if (!result.ok) { code = null; say("error", refusalText(result)); drawCart(); return; }
      code = { parsed: result.code, amount: result.amount };
      if (result.amount < amount) {
        say("notice", t("code-part", { wallet: money(result.amount), rest: money(amount - result.amount) }));
      } else {
        say("notice", t("code-ready", { amount: money(amount) }));
      }
      drawCart();
    });
  });

  // --- Tenders: the whole total by one tender, or the offline code's part
  // and the rest by cash or card ("split-cash", "split-card"); the sale is queued.
  root.querySelectorAll("[data-tender]").forEach(function (button) {
    button.addEventListener("click", function () { tender(button.dataset.tender); });
  });
  function parseCash(text) {
    var match = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text || "");
    if (!match) return null;
    return parseInt(match[1], 10) * unit + Math.round(parseInt((match[2] || "0").padEnd(exponent, "0"), 10));
  }
  async function tender(kind) {
    var amount = cart.total();
    if (!amount) return;
    var split = kind.indexOf("split-") === 0;
    var usesCode = split || kind === "offline_wallet";
    if (usesCode && !code) { say("error", t("code-first")); return; }
    var walletPart = usesCode ? (split ? code.amount : amount) : 0;
    var rest = split ? kind.slice("split-".length) : usesCode ? null : kind;
    var entries = [], change = 0, use = null, cashField = $("[data-offline-cash]");
    if (rest) {
      var entry = { kind: rest, amount: amount - walletPart };
      if (rest === "cash") {
        var received = cashField.value.trim() ? parseCash(cashField.value) : entry.amount;
        if (received === null) { say("error", t("cash-invalid")); return; }
        if (received < entry.amount) { say("error", t("cash-short")); return; }
        entry.cash_received = received;
        change = received - entry.amount;
      }
      entries.push(entry);
    }
    if (usesCode) {
      var again = await checkCode(code.parsed.text, walletPart); // the same checks, at the moment of paying
      if (!again.ok) { code = null; drawCart(); say("error", refusalText(again)); return; }
      entries.unshift({ kind: "offline_wallet", amount: walletPart, code: code.parsed.text });
      var parsed = code.parsed;
      use = { id: parsed.certId + ":" + parsed.counter, certId: parsed.certId, counter: parsed.counter, amount: walletPart };
    }
    var body = {
      idempotency_key: crypto.randomUUID(),
      rung_up_at: new Date().toISOString(),
      lines: cart.forSale(),
      tenders: entries,
    };
    var shift = menu && menu.shift ? menu.shift : parseInt(data.shift || "", 10);
    if (shift > 0) body.shift = shift;
    var record = { key: body.idempotency_key, body: body, items: cart.summary(), total: amount };
    await inTx(["sales", "codes"], "readwrite", function (s) {
      s.sales.add(record);
      if (use) s.codes.put(use); // the counter is spent on this till, whatever happens to the sale
    });
    if (rest === "cash") cashField.value = "";
    cart.clear();
    code = null;
    drawCart();
    say("notice", t("queued") + (change ? " " + t("change", { amount: money(change) }) : ""));
    $("#offline-scan").focus();
    await refresh();
    if (!offline) { leaveOfflineTill(); sync(); }
  }

  // --- The sales waiting, listed for the barista (what, when, how much).
  function drawWaiting(sales) {
    var list = $("[data-waiting-list]");
    list.textContent = "";
    sales.forEach(function (sale) {
      var item = document.createElement("li");
      item.dataset.testid = "offline-waiting-sale";
      var when = new Date(sale.body.rung_up_at).toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" });
      item.textContent = when + " · " + sale.items + " · " + money(sale.total);
      list.appendChild(item);
    });
    show($("[data-waiting]"), sales.length > 0);
  }

  // --- Refusals: the barista settles each, then marks it.
  function drawRefusals(refusals) {
    var list = $("[data-refusal-list]"), template = $("[data-refusal-template]");
    list.textContent = "";
    refusals.forEach(function (refusal) {
      var item = template.content.firstElementChild.cloneNode(true);
      item.querySelector("[data-field=when]").textContent = new Date(refusal.body.rung_up_at).toLocaleString(document.documentElement.lang || undefined);
      item.querySelector("[data-field=items]").textContent = refusal.items;
      item.querySelector("[data-field=total]").textContent = money(refusal.total);
      item.querySelector("[data-field=reason]").textContent = t("refused") + ": " + (refusal.detail || refusal.code);
      item.querySelector("[data-settle]").addEventListener("click", function () {
        inTx(["refusals"], "readwrite", function (s) { s.refusals.delete(refusal.key); }).then(refresh);
      });
      list.appendChild(item);
    });
    show($("[data-refusals]"), refusals.length > 0);
  }

  // --- Sync: in order, in batches, one tab at a time.
  function csrfToken() {
    if (menu && menu.csrf) return menu.csrf;
    var headers = document.body.getAttribute("hx-headers");
    try { return JSON.parse(headers)["X-CSRFToken"]; } catch (e) { return ""; }
  }
  async function sendAll() {
    var waiting = await all("sales");
    if (!waiting.length) return;
    try { await loadMenu(); } catch (e) { /* the kept token may still do */ }
    progress = { done: 0, count: waiting.length };
    await refresh();
    for (var start = 0; start < waiting.length; start += BATCH) {
      var batch = waiting.slice(start, start + BATCH);
      var response;
      try {
        response = await fetch(data.syncUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
          body: JSON.stringify({ sales: batch.map(function (r) { return r.body; }) }),
        });
      } catch (e) {
        goOffline();
        return;
      }
      if (response.status === 401 || response.status === 403) { say("error", t("sign-in")); return; }
      if (!response.ok) return; // kept; tried again at the next chance
      var results = (await response.json()).results;
      await inTx(["sales", "refusals"], "readwrite", function (s) {
        batch.forEach(function (record, i) {
          var result = results[i];
          if (!result || result.idempotency_key !== record.key) return;
          s.sales.delete(record.seq);
          if (result.status === "refused") {
            s.refusals.put({ key: record.key, body: record.body, items: record.items, total: record.total, code: result.code, detail: result.detail });
          }
        });
      });
      progress.done += batch.length;
      await refresh();
    }
    progress = null;
    say("notice", t("sent"));
  }
  async function sync() {
    if (syncing || offline) return;
    syncing = true;
    try {
      if (navigator.locks) {
        // Another tab sending waits this one: it then finds only what is left.
        await navigator.locks.request(LOCK, sendAll);
      } else {
        await window.CafeTillStore.withLease(LOCK, sendAll);
      }
    } finally {
      syncing = false;
      progress = null;
      refresh();
    }
  }
  // --- Start: the worker, the kept menu and keys, and anything left to send.
  function startWorker() {
    if (!("serviceWorker" in navigator) || !data.worker) return;
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "warmed") root.dataset.workerReady = event.data.version;
    });
    navigator.serviceWorker.register(data.worker, { scope: data.menuUrl.replace(/offline\/menu\/$/, "") })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (registration) { registration.active.postMessage({ type: "warm" }); })
      .catch(function () { /* the till works online without it */ });
  }
  window.cafeTill = {
    sync: sync,
    waiting: function () { return all("sales"); },
    refusals: function () { return all("refusals"); },
    isOffline: function () { return offline; },
  };
  startWorker();
  loadMenu().catch(function () {});
  loadKeys().catch(function () {});
  if (!navigator.onLine) goOffline();
  // Sales left waiting while online (the server was busy, a sign-in lapsed): tried again now and then.
  setInterval(function () { if (!offline) refresh().then(function (n) { if (n) sync(); }); }, 30000);
  refresh().then(function (waiting) { if (waiting && !offline) sync(); });
})();
