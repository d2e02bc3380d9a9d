// The till's service worker (served at /pos/sw.js?v=…, scope /pos/). It keeps
// what the till needs to go on selling with no network:
//   - the static files the till's pages load: cached at install, then served
//     from the cache (their URLs carry the deploy's hashes);
//   - the till page itself, the menu as JSON and the programme's public keys:
//     always asked of the network first, the last good answer kept for when
//     the network is gone (a reload while offline shows the till as it was).
// Everything else (the cart's htmx requests, the sync POST) goes to the
// network untouched: the page decides what to do when they fail.
// The version comes from the deploy; a new one installs beside the old, then
// takes over and deletes the old caches.
"use strict";
// The constants below are JSON written by payments.views.till_offline.
const VERSION = {{ version_json|safe }};
const CACHE = "cafe-till-" + VERSION;
const STATIC_URLS = {{ static_urls_json|safe }};
const SHELL = {{ shell_url_json|safe }};
const KEPT = {{ kept_json|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(STATIC_URLS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("cafe-till-") && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

// A good answer only: a redirect (to the sign-in page) or an error is not
// what the till should show later.
function keep(cache, key, response) {
  if (response.ok && !response.redirected && response.type === "basic") return cache.put(key, response.clone());
  return Promise.resolve();
}

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    await keep(cache, key, response);
    return response;
  } catch (error) {
    const kept = await cache.match(key);
    if (kept) return kept;
    throw error;
  }
}

async function cacheFirst(request) {
  const kept = await caches.match(request);
  return kept || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === SHELL) {
    event.respondWith(networkFirst(request, SHELL));
  } else if (request.mode === "navigate" && url.pathname.startsWith(SHELL)) {
    // Another till page with no network: the till itself, which sells offline.
    event.respondWith(fetch(request).catch(() => caches.match(SHELL).then((kept) => kept || Response.error())));
  } else if (KEPT.includes(url.pathname)) {
    event.respondWith(networkFirst(request, url.pathname));
  } else if (STATIC_URLS.includes(url.pathname)) {
    event.respondWith(cacheFirst(request));
  }
});

// The page asks once the worker is in charge: fetch the till page, the
// menu and the keys now, so the first load's answers (made before the
// worker was there) are kept too.
self.addEventListener("message", (event) => {
  if (!event.data || event.data.type !== "warm") return;
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      Promise.all([SHELL, ...KEPT].map((path) =>
        fetch(path, { credentials: "same-origin" }).then((r) => keep(cache, path, r)).catch(() => null)
      ))
    ).then(() => event.source && event.source.postMessage({ type: "warmed", version: VERSION }))
  );
});
