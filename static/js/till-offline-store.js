// The offline till's storage (till-offline.js keeps the rest): one IndexedDB
// database on this till, "cafe-till", with the sales waiting to be sent (in
// the order they were rung up), the refusals the barista has still to settle
// and the offline codes taken here (a counter is spent once per till); and a
// lease in localStorage that stands in for Web Locks where a browser has none.
(function () {
  "use strict";

  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open("cafe-till", 1);
        request.onupgradeneeded = function () {
          var d = request.result;
          d.createObjectStore("sales", { keyPath: "seq", autoIncrement: true }); // seq: the order they were rung up in
          d.createObjectStore("refusals", { keyPath: "key" });
          d.createObjectStore("codes", { keyPath: "id" }).createIndex("cert", "certId"); // id: "cert:counter"
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }
  // Run fn(stores) in one transaction; resolves with fn's value once committed.
  function inTx(names, mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction(names, mode), value;
        var stores = {};
        names.forEach(function (n) { stores[n] = tx.objectStore(n); });
        value = fn(stores);
        tx.oncomplete = function () { resolve(value && value.result !== undefined ? value.result : value); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function all(name) {
    return inTx([name], "readonly", function (s) { return s[name].getAll(); });
  }

  // Without Web Locks: a lease in localStorage, taken if free or stale. Two
  // tabs racing past it only send a sale twice, which the server replays.
  async function withLease(name, fn) {
    var me = crypto.randomUUID(), now = Date.now();
    var held = JSON.parse(localStorage.getItem(name) || "null");
    if (held && now - held.at < 30000) return;
    localStorage.setItem(name, JSON.stringify({ id: me, at: now }));
    if (JSON.parse(localStorage.getItem(name)).id !== me) return;
    try { await fn(); } finally { localStorage.removeItem(name); }
  }

  window.CafeTillStore = { inTx: inTx, all: all, withLease: withLease };
})();
