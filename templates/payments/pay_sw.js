// The Pay page's service worker (issue 18; payments/views/portal_sw.py).
// With no network the Pay page still opens, so a member with paying offline
// turned on can show an offline code. It keeps two things:
// - the Pay page itself, as last loaded with the network (network first;
//   a sign-out, seen as a redirect, forgets it), in a cache of its own so a
//   new version does not drop it;
// - the static files the page needs, in a cache named by this version
//   (a hash of this file and of those files): a deploy installs a new worker
//   and the old files are deleted.
// Nothing else is intercepted: every other request goes to the network.
"use strict";

var VERSION = "{{ version }}";
var ASSET_CACHE = "cafe-pay-assets-" + VERSION;
var PAGE_CACHE = "cafe-pay-page";
var PAGE = "{% url 'wallet:pay' %}";
var ASSETS = [{% for url in assets %}"{{ url|escapejs }}"{% if not forloop.last %}, {% endif %}{% endfor %}];

function keepPage(response) {
  if (response.ok && response.type === "basic") {
    var copy = response.clone();
    return caches.open(PAGE_CACHE).then(function (cache) { return cache.put(PAGE, copy); });
  }
  if (response.type === "opaqueredirect" || response.redirected || response.status === 403) {
    // Signed out (or not allowed): the cached page must not outlive the session.
    return caches.delete(PAGE_CACHE);
  }
  return Promise.resolve();
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(ASSET_CACHE)
      .then(function (cache) { return cache.addAll(ASSETS); })
      // The page too, if the member is signed in; offline use needs it.
      .then(function () {
        return fetch(PAGE, { credentials: "same-origin", redirect: "manual" }).then(keepPage, function () {});
      })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("cafe-pay-assets-") === 0 && name !== ASSET_CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(
      fetch(request).then(function (response) {
        event.waitUntil(keepPage(response));
        return response;
      }, function () {
        return caches.match(PAGE, { cacheName: PAGE_CACHE }).then(function (page) {
          return page || Response.error();
        });
      })
    );
    return;
  }
  if (ASSETS.indexOf(url.pathname) !== -1) {
    event.respondWith(
      caches.match(request, { cacheName: ASSET_CACHE }).then(function (cached) { return cached || fetch(request); })
    );
  }
});
