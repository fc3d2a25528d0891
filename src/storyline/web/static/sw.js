// Storyline's service worker: pages a reader opened stay readable offline.
// Network first (news changes), the last good copy when the network fails, and an
// offline page for a page never opened. Only this site's own GET pages and static files
// are kept; the API and other sites are left alone. At most MAX_PAGES pages are kept.
"use strict";

const CACHE = "storyline-v1";
const PRECACHE = ["/offline", "/static/style.css", "/static/icon.svg"];
const MAX_PAGES = 300;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

async function keep(request, response) {
  const cache = await caches.open(CACHE);
  await cache.put(request, response);
  const keys = await cache.keys();
  // Oldest first: drop pages past the cap, never the precached ones.
  const pages = keys.filter((key) => !PRECACHE.includes(new URL(key.url).pathname));
  for (const key of pages.slice(0, Math.max(0, pages.length - MAX_PAGES))) {
    await cache.delete(key);
  }
}

async function answer(event) {
  const request = event.request;
  try {
    const response = await fetch(request);
    if (response.ok && response.type === "basic") {
      event.waitUntil(keep(request, response.clone()));
    }
    return response;
  } catch (error) {
    const kept = await caches.match(request);
    if (kept) {
      return kept;
    }
    if (request.mode === "navigate") {
      return (await caches.match("/offline")) || Response.error();
    }
    return Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")
      || url.pathname === "/sw.js") {
    return;
  }
  event.respondWith(answer(event));
});
