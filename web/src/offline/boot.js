// Wiring at app start (main.js): the service worker, the remembered user for opening offline,
// and automatic sync (on start once logged in, and on every `online` event).
import { watch } from 'vue'
import * as offline from './index'

export function registerServiceWorker() {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return null
  const go = () => navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => null)
  if (document.readyState === 'complete') return go()
  return new Promise((resolve) => window.addEventListener('load', () => resolve(go()), { once: true }))
}

// Collectors get their households on the phone without asking: after login, and again when the
// copy is older than this.
const COLLECTOR_ROLES = ['village', 'township']
const CACHE_MAX_AGE_MS = 6 * 3600 * 1000

export async function refreshIfStale(user) {
  if (!user || !COLLECTOR_ROLES.includes(user.role) || !offline.isOnline()) return null
  const info = await offline.cacheInfo()
  if (info && Date.now() - Date.parse(info.fetched_at) < CACHE_MAX_AGE_MS) return info
  return offline.refreshCache()
}

export function startOffline({ store, serviceWorker = true } = {}) {
  if (serviceWorker) registerServiceWorker()
  offline.enableAutoRetry()
  const trySync = () => {
    offline.syncState.online = offline.isOnline()
    if (store && store.user && !store.offlineSession) return offline.syncNow().catch(() => {})
  }
  window.addEventListener('online', () => {
    offline.syncState.online = true
    // a session opened offline is checked again first (CSRF token, still logged in?)
    if (store && store.offlineSession) store.fetchMe().then(trySync, trySync)
    else trySync()
  })
  window.addEventListener('offline', () => (offline.syncState.online = false))
  offline.refreshState().catch(() => {})
  if (store) {
    watch(
      () => store.user && store.user.username,
      (name) => {
        if (!name || store.offlineSession) return
        const user = store.user
        offline
          .rememberUser(user)
          .catch(() => {})
          .then(trySync)
          .then(() => refreshIfStale(user))
          .catch(() => {})
      },
      { immediate: true },
    )
  }
  // For the browser tests and the console: the module in the built app.
  window.canbaoOffline = offline
}
