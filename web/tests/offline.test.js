// The offline module (src/offline): cache + search, payment queue, sync outcome mapping, a sync
// cut off halfway and retried (keys kept, nothing doubled), clearAll. fetch is a small fake server.
import { describe, it, expect, beforeEach, afterEach, vi } from 'vitest'
import * as offline from '../src/offline'
import { setCsrf } from '../src/api/http'
import { scoreHousehold } from '../src/offline/search'

const CACHE = {
  year: 2025,
  generated_at: '2025-01-10T08:00:00+08:00',
  villages: [{ code: '341702100201', name: '红旗村' }],
  households: [
    {
      household: 'H001',
      region: '341702100201',
      region_name: '红旗村',
      total_due_fen: 80000,
      members: [
        { person: 'pA', name: '张三', initials: 'zs', id_last4: '1234', categories: [], individual_due_fen: 40000, status: 'owing', status_label: '待缴费' },
        { person: 'pB', name: '李四', initials: 'ls', id_last4: '567X', categories: [], individual_due_fen: 40000, status: 'owing', status_label: '待缴费' },
      ],
    },
    {
      household: 'H002',
      region: '341702100201',
      region_name: '红旗村',
      total_due_fen: 40000,
      members: [
        { person: 'pC', name: '王五', initials: 'ww', id_last4: '0001', categories: [], individual_due_fen: 40000, status: 'owing', status_label: '待缴费' },
        { person: 'pD', name: '赵六', initials: 'zl', id_last4: '0002', categories: [], individual_due_fen: 0, status: 'paid', status_label: '已缴费', receipt_no: 'R-OLD' },
      ],
    },
    {
      household: 'H003',
      region: '341702100202',
      region_name: '东风村',
      total_due_fen: 80000,
      members: [
        { person: 'pE', name: '钱七', initials: 'qq', id_last4: '7777', categories: [], individual_due_fen: 40000, status: 'owing', status_label: '待缴费' },
        { person: 'pF', name: '孙八', initials: 'sb', id_last4: '8888', categories: [], individual_due_fen: 40000, status: 'owing', status_label: '待缴费' },
      ],
    },
  ],
}

// A fake canbao: idempotent by key, one payment per person and year.
function fakeServer() {
  const s = {
    calls: [],
    byKey: new Map(), // key → [status, body]
    paid: new Map(), // person → receipt
    seq: 0,
    cut: [], // paths of the next writes to cut off: committed, then the answer is lost
    refuse: {}, // person → {status, error}
    elsewhere: new Map(), // person → receipt paid by someone else (409 already_paid)
  }
  function payOne(body) {
    if (s.byKey.has(body.idempotency_key)) {
      const [, b] = s.byKey.get(body.idempotency_key)
      return [200, b]
    }
    if (s.refuse[body.person]) return [s.refuse[body.person].status, { error: s.refuse[body.person].error }]
    if (s.elsewhere.has(body.person) || s.paid.has(body.person)) {
      const no = s.elsewhere.get(body.person) || s.paid.get(body.person)
      return [409, { error: { code: 'already_paid', message: '该人员本年度已缴费，凭证号 ' + no, details: { receipt_no: no } } }]
    }
    const no = 'R' + String(++s.seq).padStart(4, '0')
    s.paid.set(body.person, no)
    const b = { payment: { id: s.seq, person_key: body.person, receipt_no: no, paid_on: body.paid_on }, receipt: { number: no } }
    s.byKey.set(body.idempotency_key, [201, b])
    return [201, b]
  }
  const json = (status, data) => ({ ok: status >= 200 && status < 300, status, headers: { get: () => 'application/json' }, json: async () => data })
  s.fetch = vi.fn(async (url, init = {}) => {
    const method = init.method || 'GET'
    const body = init.body ? JSON.parse(init.body) : undefined
    const path = url.replace('/api/v1', '')
    s.calls.push({ method, path, body, csrf: init.headers && init.headers['X-CSRF-Token'] })
    if (s.offline) throw new TypeError('Failed to fetch')
    let answer
    if (method === 'GET' && path.startsWith('/collect/cache')) answer = json(200, structuredClone(CACHE))
    else if (method === 'GET' && path === '/auth/me') answer = json(200, { user: { username: 'cun01' }, csrf_token: 'tok' })
    else if (method === 'GET' && path.startsWith('/payments?')) {
      const p = new URLSearchParams(path.split('?')[1]).get('person')
      const no = s.elsewhere.get(p) || s.paid.get(p)
      answer = json(200, { items: no ? [{ person_key: p, receipt_no: no, kind: 'payment', reversed: false }] : [] })
    }
    else if (method === 'POST' && path === '/payments') {
      const [st, b] = payOne(body)
      answer = json(st, b)
    } else if (method === 'POST' && path === '/payments/batch') {
      const results = body.items.map((it, index) => {
        const [status, b] = payOne(it)
        return { index, status, ...b }
      })
      answer = json(200, { results })
    } else if (method === 'POST' && /^\/households\/[^/]+\/payments$/.test(path)) {
      if (s.byKey.has(body.idempotency_key)) answer = json(200, s.byKey.get(body.idempotency_key)[1])
      else {
        const clash = body.members.find((p) => s.paid.has(p) || s.elsewhere.has(p))
        if (clash) {
          const no = s.elsewhere.get(clash) || s.paid.get(clash)
          answer = json(409, { error: { code: 'already_paid', message: '成员 ***：该人员本年度已缴费', field: 'members', details: { person_key: clash } } })
        } else {
          const payments = body.members.map((p) => {
            const no = 'R' + String(++s.seq).padStart(4, '0')
            s.paid.set(p, no)
            return { person_key: p, receipt_no: no }
          })
          const b = { payments, receipts: payments.map((p) => ({ number: p.receipt_no })), total_fen: 0 }
          s.byKey.set(body.idempotency_key, [201, b])
          answer = json(201, b)
        }
      }
    } else answer = json(404, { error: { code: 'not_found', message: '没有这个接口' } })
    const i = method === 'POST' ? s.cut.indexOf(path) : -1
    if (i >= 0) {
      s.cut.splice(i, 1)
      throw new TypeError('network connection lost') // committed on the server, the answer never came
    }
    return answer
  })
  return s
}

let server
let online = true

beforeEach(async () => {
  offline.useBackend() // fresh in-memory store
  online = true
  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => online })
  server = fakeServer()
  vi.stubGlobal('fetch', server.fetch)
  setCsrf('tok')
  await offline.refreshCache(2025)
  server.calls.length = 0
})
afterEach(() => {
  vi.unstubAllGlobals()
})

const member = async (hid, person) => (await offline.getHousehold(hid)).members.find((m) => m.person === person)
const pay = (person, extra = {}) => ({ person, year: 2025, amount_fen: 40000, channel: 'village_collector', ...extra })

describe('cache and search', () => {
  it('stores what the server sent and finds by name, initials, last digits, 户号', async () => {
    const info = await offline.cacheInfo()
    expect(info).toMatchObject({ year: 2025, households: 3, members: 6 })
    expect((await offline.findHouseholds('张三')).map((h) => h.household)).toEqual(['H001'])
    expect((await offline.findHouseholds('李')).map((h) => h.household)).toEqual(['H001'])
    expect((await offline.findHouseholds('ww')).map((h) => h.household)).toEqual(['H002'])
    expect((await offline.findHouseholds('ZS')).map((h) => h.household)).toEqual(['H001'])
    expect((await offline.findHouseholds('567x')).map((h) => h.household)).toEqual(['H001'])
    expect((await offline.findHouseholds('0002')).map((h) => h.household)).toEqual(['H002'])
    expect((await offline.findHouseholds('H003')).map((h) => h.household)).toEqual(['H003'])
    expect((await offline.findHouseholds('东风')).map((h) => h.household)).toEqual(['H003'])
    expect(await offline.findHouseholds('不存在')).toEqual([])
    expect((await offline.findHouseholds('', { village: '341702100202' })).map((h) => h.household)).toEqual(['H003'])
  })
  it('ranks an exact name above a partial one', () => {
    const h = { household: 'X', members: [{ name: '张三' }] }
    expect(scoreHousehold(h, '张三')).toBeGreaterThan(scoreHousehold(h, '张'))
  })
})

describe('queue', () => {
  it('queues offline with a client key, the collection date, and marks the member 待同步', async () => {
    online = false
    const r = await offline.payOrQueue(pay('pA'))
    expect(r).toMatchObject({ queued: true, receipt: '待同步' })
    expect(r.idempotency_key).toMatch(/^offline-[0-9a-f-]{36}$/)
    expect(r.paid_on).toBe(offline.localDate())
    expect(server.calls).toEqual([])
    expect(await member('H001', 'pA')).toMatchObject({ status: 'pending_sync', status_label: '待同步', receipt_no: '待同步' })
    const items = await offline.pending()
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({ kind: 'payment', state: 'pending', state_label: '待同步', household: 'H001', names: ['张三'], amount_fen: 40000 })
    expect(items[0].body).toMatchObject({ person: 'pA', idempotency_key: r.idempotency_key, paid_on: offline.localDate() })
    expect(offline.syncState.pending).toBe(1)
  })

  it('online: sends at once; a network error queues it with the key already sent', async () => {
    const r = await offline.payOrQueue(pay('pA'))
    expect(r).toMatchObject({ queued: false, receipt: { number: 'R0001' } })
    expect(await member('H001', 'pA')).toMatchObject({ status: 'paid', receipt_no: 'R0001' })

    server.offline = true
    const q = await offline.payOrQueue(pay('pB', { idempotency_key: 'k-B' }))
    expect(q).toMatchObject({ queued: true, idempotency_key: 'k-B' })
    expect(server.calls.at(-1).body.idempotency_key).toBe('k-B')
    expect((await offline.pending())[0].id).toBe('k-B')
  })

  it('a refusal from the server is not queued', async () => {
    server.refuse.pA = { status: 422, error: { code: 'outside_window', message: '不在缴费期' } }
    await expect(offline.payOrQueue(pay('pA'))).rejects.toMatchObject({ status: 422, code: 'outside_window' })
    expect(await offline.pending()).toEqual([])
  })

  it('household offline: one item naming the members who owe', async () => {
    online = false
    const r = await offline.payHouseholdOrQueue('H002', { year: 2025, channel: 'village_collector' })
    expect(r.queued).toBe(true)
    const [it] = await offline.pending()
    expect(it).toMatchObject({ kind: 'household', household: 'H002', persons: ['pC'], names: ['王五'], amount_fen: 40000 })
    expect(it.body.members).toEqual(['pC'])
    expect(await member('H002', 'pC')).toMatchObject({ status_label: '待同步' })
    expect(await member('H002', 'pD')).toMatchObject({ status: 'paid', receipt_no: 'R-OLD' })
  })

  it('a cache refresh keeps the queued members marked 待同步', async () => {
    online = false
    await offline.payOrQueue(pay('pA'))
    online = true
    await offline.refreshCache(2025)
    expect(await member('H001', 'pA')).toMatchObject({ status_label: '待同步' })
  })
})

describe('sync', () => {
  it('single payments in one batch call, households one call each; outcomes kept', async () => {
    online = false
    await offline.payOrQueue(pay('pA'))
    await offline.payOrQueue(pay('pB'))
    await offline.payHouseholdOrQueue('H003', { year: 2025, channel: 'village_collector' })
    online = true
    const sum = await offline.syncNow()
    expect(sum).toMatchObject({ sent: 3, synced: 3, left: 0 })
    const posts = server.calls.filter((c) => c.method === 'POST')
    expect(posts.map((c) => c.path)).toEqual(['/payments/batch', '/households/H003/payments'])
    expect(posts[0].body.items.map((i) => i.person)).toEqual(['pA', 'pB'])
    expect(posts[0].csrf).toBe('tok')
    const items = await offline.pending()
    expect(items.map((i) => [i.state, i.state_label, i.receipt])).toEqual([
      ['synced', '已同步', 'R0001'],
      ['synced', '已同步', 'R0002'],
      ['synced', '已同步', 'R0003'],
    ])
    expect(await member('H001', 'pA')).toMatchObject({ status: 'paid', status_label: '已缴费', receipt_no: 'R0001' })
    expect(await member('H003', 'pF')).toMatchObject({ status: 'paid', receipt_no: 'R0004' })
    expect(offline.syncState.pending).toBe(0)
    // nothing left: a second sync sends nothing
    server.calls.length = 0
    await offline.syncNow()
    expect(server.calls).toEqual([])
  })

  it('maps each result: already paid (with receipt), refused (with reason), backdated held', async () => {
    online = false
    await offline.payOrQueue(pay('pA'))
    await offline.payOrQueue(pay('pB'))
    await offline.payOrQueue(pay('pC'))
    await offline.payOrQueue(pay('pE'))
    online = true
    server.elsewhere.set('pA', 'R-WX-9')
    server.refuse.pB = { status: 422, error: { code: 'not_enrolled', message: '该人员本年度参保登记已失效（suspended）' } }
    server.refuse.pC = { status: 422, error: { code: 'backdated', message: '缴费日期 2025-01-01 早于允许补录的期限', field: 'paid_on' } }
    const sum = await offline.syncNow()
    expect(sum).toMatchObject({ sent: 4, synced: 1, already_paid: 1, refused: 1, held: 1, left: 0 })
    const by = Object.fromEntries((await offline.pending()).map((i) => [i.persons[0], i]))
    expect(by.pA).toMatchObject({ state: 'already_paid', state_label: '已在别处缴费', receipt: 'R-WX-9' })
    expect(by.pB).toMatchObject({ state: 'refused', state_label: '被拒绝' })
    expect(by.pB.outcome.message).toContain('参保登记已失效')
    expect(by.pC.state).toBe('held')
    expect(by.pC.outcome.message).toMatch(/早于允许补录的期限.*保留在待同步队列中/)
    expect(by.pE).toMatchObject({ state: 'synced', receipt: 'R0001' })
    expect(await member('H001', 'pA')).toMatchObject({ status: 'paid', status_label: '已在别处缴费', receipt_no: 'R-WX-9' })
    expect(await member('H001', 'pB')).toMatchObject({ status: 'owing', status_label: '待缴费', receipt_no: null })
    expect(await member('H002', 'pC')).toMatchObject({ status_label: '超期待处理' })
    expect(offline.syncState.held).toBe(1)
    // held stays in the queue; finished ones can be cleared from the list
    await offline.dismissFinished()
    expect((await offline.pending()).map((i) => i.persons[0])).toEqual(['pC'])
  })

  it('a household with a member paid elsewhere: refused whole, that receipt looked up, the others owe again', async () => {
    online = false
    await offline.payHouseholdOrQueue('H003', { year: 2025, channel: 'village_collector' })
    online = true
    server.elsewhere.set('pF', 'R-ALI-7')
    const sum = await offline.syncNow()
    expect(sum).toMatchObject({ already_paid: 1, left: 0 })
    const [it] = await offline.pending()
    expect(it).toMatchObject({ state: 'already_paid', receipt: 'R-ALI-7' })
    expect(await member('H003', 'pF')).toMatchObject({ status: 'paid', status_label: '已在别处缴费', receipt_no: 'R-ALI-7' })
    expect(await member('H003', 'pE')).toMatchObject({ status: 'owing', status_label: '待缴费' })
  })

  it('outcomeOf: receipt from the message; transient answers stay pending', () => {
    expect(offline.outcomeOf(409, { error: { code: 'already_paid', message: '该人员本年度已缴费，凭证号 3417-2025-000123' } })).toMatchObject({
      state: 'already_paid',
      receipt: '3417-2025-000123',
    })
    expect(offline.outcomeOf(200, { payment: { receipt_no: 'R9' } })).toMatchObject({ state: 'synced', receipt: 'R9', replayed: true })
    expect(offline.outcomeOf(503, { error: { code: 'busy' } })).toBeNull()
    expect(offline.outcomeOf(429, {})).toBeNull()
    expect(offline.outcomeOf(400, { error: { code: 'invalid', message: '金额不正确' } })).toMatchObject({ state: 'refused', message: '金额不正确' })
  })

  it('cut off after the server committed, then retried: same keys, nothing doubled', async () => {
    online = false
    const a = await offline.payOrQueue(pay('pA'))
    const b = await offline.payOrQueue(pay('pB'))
    await offline.payHouseholdOrQueue('H003', { year: 2025, channel: 'village_collector' })
    online = true
    server.cut = ['/payments/batch'] // the batch is committed, its answer lost
    const first = await offline.syncNow()
    expect(first.error).toMatch(/网络中断/)
    expect(server.paid.size).toBe(2)
    let items = await offline.pending()
    expect(items.map((i) => i.state)).toEqual(['pending', 'pending', 'pending'])
    expect(offline.syncState.pending).toBe(3)

    server.cut = ['/households/H003/payments'] // now the batch answers, the household call is cut off after its commit
    const second = await offline.syncNow()
    expect(second.error).toMatch(/网络中断/)
    items = await offline.pending()
    expect(items.map((i) => i.state)).toEqual(['synced', 'synced', 'pending'])
    expect(items[0].outcome.replayed).toBe(true)

    const third = await offline.syncNow()
    expect(third).toMatchObject({ synced: 1, left: 0 })
    items = await offline.pending()
    expect(items.map((i) => i.state)).toEqual(['synced', 'synced', 'synced'])
    // every batch call carried the same keys; each person paid once
    const batches = server.calls.filter((c) => c.path === '/payments/batch')
    expect(batches).toHaveLength(2)
    for (const c of batches) expect(c.body.items.map((i) => i.idempotency_key)).toEqual([a.idempotency_key, b.idempotency_key])
    const hh = server.calls.filter((c) => c.path === '/households/H003/payments')
    expect(hh).toHaveLength(2)
    expect(hh[0].body.idempotency_key).toBe(hh[1].body.idempotency_key)
    expect([...server.paid.keys()].sort()).toEqual(['pA', 'pB', 'pE', 'pF'])
    expect(server.seq).toBe(4)
  })

  it('offline: nothing is sent; one sync at a time', async () => {
    online = false
    await offline.payOrQueue(pay('pA'))
    const s = await offline.syncNow()
    expect(s).toMatchObject({ sent: 0, left: 1 })
    expect(server.calls).toEqual([])
    online = true
    const [x, y] = await Promise.all([offline.syncNow(), offline.syncNow()])
    expect(x).toBe(y)
    expect(server.calls.filter((c) => c.path === '/payments/batch')).toHaveLength(1)
  })

  it('without a CSRF token (app opened offline) it asks /auth/me first', async () => {
    online = false
    await offline.payOrQueue(pay('pA'))
    online = true
    setCsrf('')
    await offline.syncNow()
    expect(server.calls.map((c) => c.path)).toEqual(['/auth/me', '/payments/batch'])
    expect(server.calls[1].csrf).toBe('tok')
  })
})

describe('session and logout', () => {
  it('clearAll drops cache, queue and the remembered user', async () => {
    await offline.rememberUser({ username: 'cun01', role: 'village' })
    online = false
    await offline.payOrQueue(pay('pA'))
    expect(await offline.rememberedUser()).toMatchObject({ username: 'cun01' })
    await offline.clearAll()
    expect(await offline.cacheInfo()).toBeNull()
    expect(await offline.findHouseholds('')).toEqual([])
    expect(await offline.pending()).toEqual([])
    expect(await offline.rememberedUser()).toBeNull()
    expect(offline.syncState.pending).toBe(0)
  })

  it('another user logging in does not see the previous cache', async () => {
    await offline.rememberUser({ username: 'cun01' })
    await offline.rememberUser({ username: 'cun01' })
    expect(await offline.cacheInfo()).not.toBeNull()
    await offline.rememberUser({ username: 'cun02' })
    expect(await offline.cacheInfo()).toBeNull()
    expect(await offline.rememberedUser()).toMatchObject({ username: 'cun02' })
  })

  it('the auth store clears the offline data at logout', async () => {
    const { setActivePinia, createPinia } = await import('pinia')
    const { useAuthStore } = await import('../src/stores/auth')
    setActivePinia(createPinia())
    const store = useAuthStore()
    store.user = { username: 'cun01', role: 'village' }
    await offline.rememberUser(store.user)
    await store.logout()
    expect(await offline.cacheInfo()).toBeNull()
    expect(store.user).toBeNull()
  })

  it('logout with unsynced payments asks; staying keeps them, only an explicit confirm drops them', async () => {
    const { setActivePinia, createPinia } = await import('pinia')
    const { useAuthStore } = await import('../src/stores/auth')
    const { confirmLogout } = await import('../src/layout/confirmLogout')
    setActivePinia(createPinia())
    const store = useAuthStore()
    store.user = { username: 'cun01', role: 'village' }
    await offline.rememberUser(store.user)
    online = false
    await offline.payOrQueue(pay('pA'))
    await offline.payOrQueue(pay('pC'))
    // the store itself never drops them unasked
    expect(await store.logout()).toEqual({ loggedOut: false, unsynced: 2 })
    expect(store.user).not.toBeNull()
    expect(await offline.unsyncedCount()).toBe(2)
    // 留在系统 (the confirm rejects)
    const asked = []
    const stay = vi.fn(async (msg, title, opts) => {
      asked.push({ msg, title, opts })
      throw 'cancel'
    })
    expect(await confirmLogout(store, { confirm: stay })).toBe(false)
    expect(stay).toHaveBeenCalledTimes(1)
    expect(asked[0].title).toBe('有 2 笔缴费未同步')
    expect(asked[0].msg).toMatch(/2 笔缴费尚未同步/)
    expect(asked[0].msg).toMatch(/删除/)
    expect(asked[0].opts.cancelButtonText).toBe('留在系统')
    expect(store.user).not.toBeNull()
    expect((await offline.pending()).map((i) => i.state)).toEqual(['pending', 'pending'])
    expect(await offline.cacheInfo()).not.toBeNull()
    // 仍然退出
    const leave = vi.fn(async () => 'confirm')
    expect(await confirmLogout(store, { confirm: leave })).toBe(true)
    expect(leave.mock.calls[0][2].confirmButtonText).toBe('仍然退出（删除 2 笔）')
    expect(store.user).toBeNull()
    expect(await offline.unsyncedCount()).toBe(0)
    expect(await offline.cacheInfo()).toBeNull()
    expect(server.paid.size).toBe(0) // never sent: they were lost on purpose
  })

  it('logout online sends the queue first, then asks only the usual question', async () => {
    const { setActivePinia, createPinia } = await import('pinia')
    const { useAuthStore } = await import('../src/stores/auth')
    const { confirmLogout } = await import('../src/layout/confirmLogout')
    setActivePinia(createPinia())
    const store = useAuthStore()
    store.user = { username: 'cun01', role: 'village' }
    online = false
    await offline.payOrQueue(pay('pA'))
    online = true
    const confirm = vi.fn(async () => 'confirm')
    expect(await confirmLogout(store, { confirm })).toBe(true)
    expect(confirm.mock.calls[0][0]).toBe('确定退出系统吗？')
    expect(server.paid.has('pA')).toBe(true)
    expect(store.user).toBeNull()
  })

  it('a sync cut off while online is retried by itself (enableAutoRetry)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      offline.enableAutoRetry()
      online = false
      await offline.payOrQueue(pay('pA'))
      online = true
      server.offline = true // the phone has a signal, the server does not answer (restarting)
      const first = await offline.syncNow()
      expect(first.left).toBe(1)
      expect(offline.syncState.retryAt).not.toBeNull()
      server.offline = false
      await vi.advanceTimersByTimeAsync(3000)
      await vi.waitFor(async () => expect((await offline.pending())[0].state).toBe('synced'))
      expect(server.paid.has('pA')).toBe(true)
      expect(offline.syncState.retryAt).toBeNull()
    } finally {
      offline.enableAutoRetry(false)
      vi.useRealTimers()
    }
  })

  it('the auth store opens offline as the remembered user', async () => {
    const { setActivePinia, createPinia } = await import('pinia')
    const { useAuthStore } = await import('../src/stores/auth')
    setActivePinia(createPinia())
    await offline.rememberUser({ username: 'cun01', role: 'village', region: '341702100201' })
    server.offline = true
    const store = useAuthStore()
    await store.fetchMe()
    expect(store.user).toMatchObject({ username: 'cun01' })
    expect(store.offlineSession).toBe(true)
    server.offline = false
    await store.fetchMe()
    expect(store.offlineSession).toBe(false)
  })
})

describe('SyncStatus.vue', () => {
  it('待同步 N 笔 → 立即同步 → 全部已同步, with each outcome', async () => {
    const { mount, flushPromises } = await import('@vue/test-utils')
    const ElementPlus = (await import('element-plus')).default
    const SyncStatus = (await import('../src/offline/SyncStatus.vue')).default
    online = false
    await offline.payOrQueue(pay('pA'))
    await offline.payOrQueue(pay('pB'))
    online = true
    offline.syncState.online = true
    const w = mount(SyncStatus, { global: { plugins: [ElementPlus], stubs: { Loading: true } } })
    await flushPromises()
    expect(w.get('[data-test=sync-summary]').text()).toBe('待同步 2 笔')
    expect(w.findAll('[data-test=sync-item]')).toHaveLength(2)
    expect(w.text()).toContain('凭证 待同步')
    await w.get('[data-test=sync-now]').trigger('click')
    await offline.syncNow()
    await flushPromises()
    expect(w.get('[data-test=sync-summary]').text()).toBe('全部已同步')
    expect(w.findAll('[data-test=sync-receipt]').map((x) => x.text())).toEqual(['R0001', 'R0002'])
    expect(w.findAll('[data-state=synced]')).toHaveLength(2)
    w.unmount()
  })
})
