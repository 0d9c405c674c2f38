/* global self, caches, fetch, URL, Response */
// The app's service worker: the page and its assets from the cache when offline (installable PWA).
// Only same-origin GETs of the app shell are cached; config.json, the identity provider and AWS are
// always fetched from the network (tokens and claims are never cached).
const CACHE = 'provisioning-app-v1';
const SHELL = ['/', '/assets/app.js', '/assets/app.css', '/assets/icon.svg', '/manifest.webmanifest'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  const path = url.pathname === '/' || url.search !== '' ? '/' : url.pathname;
  if (!SHELL.includes(path) || url.pathname === '/config.json') return;
  // Network first, so a new build is picked up at once; the cache when offline.
  event.respondWith(
    fetch(event.request).then(
      (res) => {
        if (res.ok && url.search === '') {
          const copy = res.clone();
          void caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return res;
      },
      () => caches.match(path).then((hit) => hit ?? Response.error()),
    ),
  );
});
