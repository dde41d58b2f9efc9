// Service worker of the canbao web app (hand-written; `vite build` writes it to dist/sw.js with
// PRECACHE = every built file and VERSION = a hash of them prepended, see vite.config.js).
//
// App shell only: index.html, the JS/CSS/font assets, manifest and icons are cached at install,
// so the app opens with no network. /api/ is never touched: data offline goes through IndexedDB
// (src/offline), scoped to the logged-in collector and cleared at logout.
/* global PRECACHE, VERSION */
const CACHE = 'canbao-shell-' + VERSION
const SHELL = '/index.html'
const NAV_TIMEOUT_MS = 4000

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(PRECACHE.map((u) => new Request(u, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  )
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('canbao-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  )
})

// Pages: the network first (a fresh index.html when there is one), the cached shell when there is
// no answer within a few seconds (a weak signal in the village) or none at all.
async function navigate(request) {
  const cache = await caches.open(CACHE)
  const network = fetch(request).then((res) => {
    if (res.ok && (res.headers.get('Content-Type') || '').includes('text/html')) cache.put(SHELL, res.clone())
    return res
  })
  network.catch(() => {}) // answered below from the cache
  const timeout = new Promise((resolve) => setTimeout(resolve, NAV_TIMEOUT_MS, null))
  try {
    const res = await Promise.race([network, timeout])
    if (res) return res
  } catch {
    /* offline */
  }
  const cached = await cache.match(SHELL)
  return cached || network
}

// Built files have hashed names: the cache first, then the network (and keep what came).
async function asset(request) {
  const cache = await caches.open(CACHE)
  const hit = await cache.match(request, { ignoreSearch: true })
  if (hit) return hit
  const res = await fetch(request)
  if (res.ok && new URL(request.url).pathname.startsWith('/assets/')) cache.put(request, res.clone())
  return res
}

self.addEventListener('fetch', (event) => {
  const req = event.request
  if (req.method !== 'GET') return
  const url = new URL(req.url)
  if (url.origin !== self.location.origin) return
  if (url.pathname.startsWith('/api/')) return // data: never cached here
  if (req.mode === 'navigate') {
    event.respondWith(navigate(req))
    return
  }
  if (url.pathname.startsWith('/assets/') || PRECACHE.includes(url.pathname)) event.respondWith(asset(req))
})
