// The collector pages use helper W2's offline layer (src/offline: cache of the collector's
// households, queue of payments made without network, <SyncStatus>) when it is there, and the API
// directly when it is not — import.meta.glob yields nothing for a missing file, so the pages build
// and run either way.
import { collect, payments } from '../../api'

// eager: the auth store imports src/offline statically already (logout clears the cache)
const mods = import.meta.glob('../../offline/index.js', { eager: true })
const comps = import.meta.glob('../../offline/SyncStatus.vue')
const layer = mods['../../offline/index.js'] || null

async function offline() {
  return layer
}

/** The <SyncStatus> loader, or null. */
export const syncStatusLoader = comps['../../offline/SyncStatus.vue'] || null

export async function isOnline() {
  const o = await offline()
  if (o && typeof o.isOnline === 'function') return !!(await o.isOnline())
  return typeof navigator === 'undefined' || navigator.onLine !== false
}

/** A cached household (members as an array) as a search result row of GET /households. */
export function listRow(h) {
  if (!h || !Array.isArray(h.members)) return h
  const ms = h.members
  return {
    household: h.household,
    region: h.region,
    region_name: h.region_name,
    head_name: h.head_name || (ms[0] && ms[0].name) || '',
    members: ms.length,
    owing: ms.filter((m) => m.status === 'owing').length,
    paid: ms.filter((m) => m.status === 'paid').length,
    pending: ms.filter((m) => m.status === 'pending_sync').length,
    total_due_fen: h.total_due_fen,
  }
}

/** Household search: the server when online, the phone's cache when not. */
export async function searchHouseholds(params) {
  const o = await offline()
  if (o && typeof o.findHouseholds === 'function' && !(await isOnline())) {
    const r = await o.findHouseholds(params.q || '')
    const items = (Array.isArray(r) ? r : (r && r.items) || []).map(listRow)
    return { items, total: items.length, page: 1, page_size: items.length, offline: true }
  }
  return collect.households(params)
}

/** What a household owes (online), or the cached copy offline. */
export async function householdDue(id, year) {
  const o = await offline()
  if (o && !(await isOnline())) {
    const get = o.householdDue || o.getHousehold
    const d = typeof get === 'function' ? await get(id, year) : null
    if (d) return { year, ...d, offline: true }
  }
  return collect.due(id, year)
}

/** 整户缴费: the server's answer, or {queued: true, placeholder: '待同步', …} from the queue. */
export async function payHousehold(id, body) {
  const o = await offline()
  if (o && typeof o.payHouseholdOrQueue === 'function') return o.payHouseholdOrQueue(id, body)
  return collect.payHousehold(id, body)
}

/** One member: POST /payments, or queued offline. */
export async function payOne(body) {
  const o = await offline()
  if (o && typeof o.payOrQueue === 'function') return o.payOrQueue(body)
  return payments.create(body)
}

/** Whether W2's offline layer is in the build (for the report and the page's hint). */
export const hasOfflineLayer = !!layer
