// Offline work of a village collector: the cache of the collector's own households (IndexedDB),
// offline search, and the payment queue with its sync.
//
// A payment made without network is queued with a client-made idempotency key and the
// collection date as paid_on; the cached members show 待同步. syncNow() sends every queued single
// payment in one POST /payments/batch and each household payment as its own
// POST /households/{id}/payments (all-or-nothing). Every item keeps its key until its answer is
// stored, so a sync cut off halfway and retried neither loses nor doubles a payment (the server
// replays a known key). Outcomes stay beside the item: 已同步 / 已在别处缴费 / 被拒绝; a payment
// refused as backdated stays in the queue for the bureau.
import { reactive } from 'vue'
import { ApiError, BASE, getCsrf, setCsrf, newIdempotencyKey } from '../api/http'
import * as db from './db'
import { searchHouseholds } from './search'

export { useBackend } from './db'

/** Reactive summary for the UI (SyncStatus.vue): refreshed after every change. */
export const syncState = reactive({
  pending: 0, // items still to send (state pending)
  held: 0, // refused as backdated, kept for the bureau
  syncing: false,
  online: true,
  items: [], // pending() as last read
  lastSync: null, // ISO time of the last finished sync
  error: '', // why the last sync stopped early
  retryAt: null, // ISO time of the next automatic try after a cut-off sync (enableAutoRetry)
})

export const STATE_LABELS = {
  pending: '待同步',
  synced: '已同步',
  already_paid: '已在别处缴费',
  refused: '被拒绝',
  held: '被拒绝（保留待征收机构处理）',
}
export const PENDING_LABEL = '待同步'
const BATCH_MAX = 1000
const SEND_TIMEOUT_MS = 20000

export function isOnline() {
  return typeof navigator === 'undefined' || navigator.onLine !== false
}

/** The collection date on the phone's clock, YYYY-MM-DD. */
export function localDate(d = new Date()) {
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

function newKey() {
  return newIdempotencyKey().replace(/^web-/, 'offline-')
}

// ------------------------------------------------------------------ network
// Own fetch (not api/http's request): a timeout, so a hanging request on a weak signal ends up
// in the queue, and no login redirect in the middle of a sync.
async function send(method, path, body, { timeout = SEND_TIMEOUT_MS } = {}) {
  const headers = { Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (method !== 'GET' && getCsrf()) headers['X-CSRF-Token'] = getCsrf()
  const ctl = typeof AbortController !== 'undefined' ? new AbortController() : null
  const timer = ctl ? setTimeout(() => ctl.abort(), timeout) : null
  let res
  let data = null
  try {
    res = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal: ctl ? ctl.signal : undefined,
    })
    const ct = (res.headers && res.headers.get && res.headers.get('Content-Type')) || ''
    if (res.status !== 204 && ct.includes('application/json')) data = await res.json()
  } catch {
    // no answer (offline, refused connection, timeout, cut off while reading the body)
    throw new ApiError(0, null)
  } finally {
    if (timer) clearTimeout(timer)
  }
  if (!res.ok) throw new ApiError(res.status, data)
  return { status: res.status, data }
}

const isNetworkError = (e) => e instanceof ApiError && e.status === 0
// Worth sending again later: no answer, server busy or failing, not logged in.
const isTransient = (status) => status === 0 || status === 401 || status === 408 || status === 429 || status >= 500

async function ensureSession() {
  if (getCsrf()) return
  const { data } = await send('GET', '/auth/me')
  if (data && data.csrf_token) setCsrf(data.csrf_token)
}

// -------------------------------------------------------------------- cache
/** Load the collector's households for the year into IndexedDB. → {year, generated_at, villages, households} */
export async function refreshCache(year) {
  const { data } = await send('GET', '/collect/cache' + (year ? '?year=' + encodeURIComponent(year) : ''), undefined, {
    timeout: 60000,
  })
  const households = (data && data.households) || []
  await db.replaceAll('households', households)
  const meta = {
    k: 'cache',
    year: data.year,
    generated_at: data.generated_at,
    villages: data.villages || [],
    fetched_at: new Date().toISOString(),
    households: households.length,
    members: households.reduce((n, h) => n + (h.members || []).length, 0),
  }
  await db.put('meta', meta)
  await reapplyQueueMarks()
  return meta
}

/** What the cache holds: {year, generated_at, fetched_at, villages, households, members} or null. */
export async function cacheInfo() {
  return (await db.get('meta', 'cache')) || null
}

export async function getHousehold(id) {
  return (await db.get('households', String(id))) || null
}

/** Offline search: name, pinyin initials, last digits of the ID, 户号. Best matches first. */
export async function findHouseholds(q, { limit = 50, village } = {}) {
  let list = await db.all('households')
  if (village) list = list.filter((h) => String(h.region || '').startsWith(village))
  return searchHouseholds(list, q, limit)
}

async function findMember(person) {
  for (const h of await db.all('households')) {
    const m = (h.members || []).find((x) => x.person === person)
    if (m) return { household: h, member: m }
  }
  return null
}

// Change cached members' status (待同步 / 已缴费 …); remembers the previous one for a refusal.
async function markMembers(householdId, persons, patch) {
  const list = householdId ? [await getHousehold(householdId)].filter(Boolean) : await db.all('households')
  const want = new Set(persons)
  const changed = []
  for (const h of list) {
    let touched = false
    for (const m of h.members || []) {
      if (!want.has(m.person)) continue
      const p = typeof patch === 'function' ? patch(m) : patch
      if (p) {
        Object.assign(m, p)
        touched = true
      }
    }
    if (touched) changed.push(h)
  }
  if (changed.length) await db.putAll('households', changed)
}

const PENDING_PATCH = { status: 'pending_sync', status_label: PENDING_LABEL, receipt_no: PENDING_LABEL }

// After a cache refresh the server's view comes back: show the still-queued payments again.
async function reapplyQueueMarks() {
  for (const it of await db.all('queue')) {
    if (it.state === 'pending' || it.state === 'held') await markMembers(it.household, it.persons, PENDING_PATCH)
  }
}

// ------------------------------------------------------------------- queue
async function enqueue(kind, body, extra) {
  const now = new Date()
  const item = {
    id: body.idempotency_key,
    kind, // 'payment' | 'household'
    body,
    state: 'pending',
    created_at: now.toISOString(), // collection time
    paid_on: body.paid_on,
    attempts: 0,
    ...extra,
  }
  // Before the mark: what to restore if the server refuses.
  item.previous = {}
  for (const h of item.household ? [await getHousehold(item.household)] : await db.all('households')) {
    for (const m of (h && h.members) || [])
      if (item.persons.includes(m.person) && !item.previous[m.person])
        item.previous[m.person] = { status: m.status, status_label: m.status_label, receipt_no: m.receipt_no ?? null }
  }
  await db.put('queue', item)
  await markMembers(item.household, item.persons, PENDING_PATCH)
  await refreshState()
  return { queued: true, receipt: PENDING_LABEL, placeholder: PENDING_LABEL, idempotency_key: item.id, paid_on: item.paid_on, item }
}

/**
 * A single payment (POST /payments body {idempotency_key, person, year, amount_fen, channel, paid_on}).
 * Online: sent, the server's answer returned ({payment, receipt, …, queued: false}); a refusal throws
 * ApiError as usual. Offline or no answer: queued → {queued: true, receipt: '待同步', idempotency_key}.
 */
export async function payOrQueue(body) {
  const b = { ...body, idempotency_key: body.idempotency_key || newKey() }
  if (isOnline()) {
    try {
      const { data } = await send('POST', '/payments', b)
      const receipt = receiptOf(data)
      await markMembers(null, [b.person], { status: 'paid', status_label: '已缴费', receipt_no: receipt || null })
      return { ...data, queued: false }
    } catch (e) {
      if (!isNetworkError(e)) throw e
    }
  }
  if (!b.paid_on) b.paid_on = localDate()
  const found = await findMember(b.person)
  return enqueue('payment', b, {
    household: found ? found.household.household : null,
    persons: [b.person],
    names: [found ? found.member.name : b.person],
    amount_fen: b.amount_fen,
  })
}

/**
 * A whole-household payment (POST /households/{id}/payments body {idempotency_key, year, channel,
 * paid_on, members?}); all-or-nothing on the server. Offline: queued as one item; without
 * `members` the cached members who owe are named, so the sync pays exactly who paid the collector.
 */
export async function payHouseholdOrQueue(householdId, body) {
  const hid = String(householdId)
  const b = { ...body, idempotency_key: body.idempotency_key || newKey() }
  const path = '/households/' + encodeURIComponent(hid) + '/payments'
  if (isOnline()) {
    try {
      const { data } = await send('POST', path, b)
      await markHouseholdPaid(hid, data)
      return { ...data, queued: false }
    } catch (e) {
      if (!isNetworkError(e)) throw e
    }
  }
  if (!b.paid_on) b.paid_on = localDate()
  const h = await getHousehold(hid)
  let members = (h && h.members) || []
  if (b.members && b.members.length) members = members.filter((m) => b.members.includes(m.person))
  else {
    members = members.filter((m) => m.status === 'owing')
    if (members.length) b.members = members.map((m) => m.person)
  }
  const persons = b.members || members.map((m) => m.person)
  return enqueue('household', b, {
    household: hid,
    persons,
    names: members.map((m) => m.name),
    amount_fen: members.reduce((n, m) => n + (Number(m.individual_due_fen) || 0), 0),
  })
}

/** Queued items (oldest first) with their state and outcome. */
export async function pending() {
  const items = await db.all('queue')
  items.sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)))
  return items.map((it) => ({ ...it, state_label: STATE_LABELS[it.state] || it.state }))
}

/** Payments on this phone that the server does not have yet (to send, or held for the bureau). */
export async function unsyncedCount() {
  return (await db.all('queue')).filter((i) => i.state === 'pending' || i.state === 'held').length
}

/** Remove finished items (synced / already paid / refused) from the list; pending and held stay. */
export async function dismissFinished() {
  for (const it of await db.all('queue'))
    if (it.state === 'synced' || it.state === 'already_paid' || it.state === 'refused') await db.del('queue', it.id)
  await refreshState()
}

async function refreshState() {
  const items = await pending()
  syncState.items = items
  syncState.pending = items.filter((i) => i.state === 'pending').length
  syncState.held = items.filter((i) => i.state === 'held').length
  syncState.online = isOnline()
  return syncState
}
export { refreshState }

// -------------------------------------------------------------------- sync
function receiptOf(r) {
  if (!r) return ''
  if (r.receipt) return typeof r.receipt === 'string' ? r.receipt : r.receipt.number || ''
  if (r.payment && r.payment.receipt_no) return r.payment.receipt_no
  return ''
}

function receiptFromError(err) {
  const d = (err && err.details) || {}
  if (d.receipt_no) return d.receipt_no
  const m = /凭证号\s*([0-9A-Za-z-]+)/.exec((err && err.message) || '')
  return m ? m[1] : ''
}

/**
 * What one answer means for a queued item. status: HTTP status of the item (201 new, 200 replay,
 * 4xx refused); r: {payment?, receipt?, receipts?, error?: {code, message, field, details}}.
 * → {state, receipt?, receipts?, message?, code?} or null when it should be sent again later.
 */
export function outcomeOf(status, r = {}) {
  if (status === 200 || status === 201) {
    const receipts = Array.isArray(r.receipts)
      ? r.receipts.map((x) => (typeof x === 'string' ? x : x.number || x.receipt_no)).filter(Boolean)
      : []
    return { state: 'synced', receipt: receiptOf(r) || receipts[0] || '', receipts, replayed: status === 200 }
  }
  if (isTransient(status)) return null
  const err = r.error || {}
  if (err.code === 'already_paid') {
    const d = err.details || {}
    return {
      state: 'already_paid',
      code: err.code,
      receipt: receiptFromError(err),
      message: err.message || '已在别处缴费',
      ...(d.person_key ? { person: d.person_key } : {}),
    }
  }
  if (err.code === 'backdated')
    return {
      state: 'held',
      code: err.code,
      message: (err.message || '缴费日期超出补录期限') + '（已保留在待同步队列中，请交征收机构处理）',
    }
  return { state: 'refused', code: err.code || 'http_' + status, message: err.message || '请求失败（' + status + '）' }
}

// Receipt of a payment that was made elsewhere, when the refusal did not name it.
async function lookupReceipt(item, person = item.persons[0]) {
  if (!person) return ''
  try {
    const y = item.body.year ? '&year=' + item.body.year : ''
    const { data } = await send('GET', '/payments?person=' + encodeURIComponent(person) + y)
    const row = ((data && data.items) || []).find((p) => p.receipt_no && !p.reversed && p.kind !== 'reversal')
    return row ? row.receipt_no : ''
  } catch {
    return ''
  }
}

async function markHouseholdPaid(hid, data) {
  const byPerson = {}
  for (const p of (data && data.payments) || []) {
    const key = p.person_key || p.person
    if (key) byPerson[key] = p.receipt_no || ''
  }
  const persons = Object.keys(byPerson)
  if (persons.length)
    await markMembers(hid, persons, (m) => ({ status: 'paid', status_label: '已缴费', receipt_no: byPerson[m.person] || null }))
}

// Store an item's answer (and only then is it out of the pending queue).
async function settle(item, out, answer) {
  item.state = out.state
  item.outcome = { ...out, at: new Date().toISOString() }
  if (out.state === 'already_paid' && !out.receipt) item.outcome.receipt = await lookupReceipt(item, out.person)
  item.receipt = item.outcome.receipt || ''
  await db.put('queue', item)
  if (out.state === 'synced') {
    if (item.kind === 'household') await markHouseholdPaid(item.household, answer)
    else await markMembers(item.household, item.persons, { status: 'paid', status_label: '已缴费', receipt_no: item.receipt || null })
  } else if (out.state === 'already_paid') {
    // A household is all-or-nothing: only the member paid elsewhere is paid, the others owe again.
    const elsewhere = item.kind === 'household' && out.person ? [out.person] : item.persons
    await markMembers(item.household, item.persons, (m) =>
      elsewhere.includes(m.person)
        ? { status: 'paid', status_label: '已在别处缴费', receipt_no: item.receipt || null }
        : item.previous && item.previous[m.person],
    )
  } else if (out.state === 'refused') {
    await markMembers(item.household, item.persons, (m) => item.previous && item.previous[m.person])
  } else if (out.state === 'held') {
    await markMembers(item.household, item.persons, { status: 'pending_sync', status_label: '超期待处理', receipt_no: PENDING_LABEL })
  }
}

let running = null

/**
 * Send the queue. → {sent, synced, already_paid, refused, held, left, error?}. One sync at a time
 * (a second call while one runs gets the same promise; across tabs a Web Lock when there is one).
 */
export function syncNow() {
  if (running) return running
  const go = () => doSync()
  const locks = typeof navigator !== 'undefined' && navigator.locks
  running = (locks ? locks.request('canbao-offline-sync', go) : go()).finally(() => {
    running = null
  })
  return running
}

async function doSync() {
  const summary = { sent: 0, synced: 0, already_paid: 0, refused: 0, held: 0, left: 0 }
  const count = (out) => {
    summary.sent++
    if (out) summary[out.state]++
  }
  const queue = (await pending()).filter((i) => i.state === 'pending')
  if (!queue.length) {
    await refreshState()
    return summary
  }
  if (!isOnline()) {
    summary.left = queue.length
    summary.error = syncState.error = '无网络，恢复后自动同步'
    await refreshState()
    return summary
  }
  syncState.syncing = true
  syncState.error = ''
  let retryable = false
  try {
    await ensureSession()
    const singles = queue.filter((i) => i.kind === 'payment')
    for (let at = 0; at < singles.length; at += BATCH_MAX) {
      const chunk = singles.slice(at, at + BATCH_MAX)
      for (const it of chunk) {
        it.attempts = (it.attempts || 0) + 1
        it.last_try = new Date().toISOString()
      }
      const { data } = await send('POST', '/payments/batch', { items: chunk.map((i) => i.body) }, { timeout: 120000 })
      for (const r of (data && data.results) || []) {
        const it = chunk[r.index]
        if (!it) continue
        const out = outcomeOf(r.status, r)
        count(out)
        if (out) await settle(it, out, r)
        else await db.put('queue', it)
      }
    }
    for (const it of queue.filter((i) => i.kind === 'household')) {
      it.attempts = (it.attempts || 0) + 1
      it.last_try = new Date().toISOString()
      let out
      let answer = null
      try {
        const res = await send('POST', '/households/' + encodeURIComponent(it.household) + '/payments', it.body)
        answer = res.data
        out = outcomeOf(res.status, res.data || {})
      } catch (e) {
        if (!(e instanceof ApiError) || isTransient(e.status)) throw e
        out = outcomeOf(e.status, { error: { code: e.code, message: e.message, field: e.field, details: e.details } })
      }
      count(out)
      if (out) await settle(it, out, answer)
    }
  } catch (e) {
    // no answer or a failing server: worth trying again by itself; a refusal of the whole call
    // or an expired login is not (the collector has to act)
    retryable = e instanceof ApiError && isTransient(e.status) && e.status !== 401
    syncState.error =
      e instanceof ApiError && e.status === 401
        ? '登录已过期，请重新登录后同步'
        : e instanceof ApiError && e.status
          ? e.message
          : '网络中断，同步未完成，稍后自动重试'
    summary.error = syncState.error
  } finally {
    syncState.syncing = false
  }
  const after = await refreshState()
  summary.left = after.pending
  if (!summary.error) syncState.lastSync = new Date().toISOString()
  if (retryable && summary.left) scheduleRetry()
  else if (!summary.error) retryStep = 0
  return summary
}

// A sync cut off while the phone still has a signal (the server restarting, a dropped
// connection) is tried again by itself, soon at first and then less often: the collector should
// not have to notice it and press 立即同步. Going offline needs no timer — the `online` event
// syncs. Opt-in (boot.js), so unit tests of the queue see no stray timers.
const RETRY_MS = [3000, 6000, 15000, 30000, 60000]
let autoRetry = false
let retryTimer = null
let retryStep = 0

export function enableAutoRetry(on = true) {
  autoRetry = on
  if (!on) cancelRetry()
}

export function cancelRetry() {
  if (retryTimer) clearTimeout(retryTimer)
  retryTimer = null
  syncState.retryAt = null
}

function scheduleRetry() {
  if (!autoRetry || retryTimer) return
  const ms = RETRY_MS[Math.min(retryStep, RETRY_MS.length - 1)]
  retryStep++
  syncState.retryAt = new Date(Date.now() + ms).toISOString()
  retryTimer = setTimeout(() => {
    retryTimer = null
    syncState.retryAt = null
    if (isOnline()) syncNow().catch(() => {})
  }, ms)
}

// ----------------------------------------------------------------- session
/** Remember who is logged in, so the app can open offline; another user's data is dropped. */
export async function rememberUser(user) {
  if (!user) return
  const prev = await db.get('meta', 'session')
  if (prev && prev.user && prev.user.username !== user.username) await clearAll()
  await db.put('meta', { k: 'session', user: { ...user }, at: new Date().toISOString() })
}

/** The user last seen online (for opening the app without network), or null. */
export async function rememberedUser() {
  try {
    const s = await db.get('meta', 'session')
    return (s && s.user) || null
  } catch {
    return null
  }
}

/** Everything offline is dropped (logout): cached households, queue and outcomes, remembered user. */
export async function clearAll() {
  cancelRetry()
  await Promise.all(Object.keys(db.STORES).map((s) => db.clear(s)))
  syncState.error = ''
  syncState.lastSync = null
  await refreshState()
}
