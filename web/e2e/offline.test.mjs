// Offline collection on a phone (issue 14, item 4), in a real browser at 390×844: the app is a PWA
// whose service worker opens the shell with no network; the village collector's households are
// cached in IndexedDB; two payments made offline are queued (待同步) and synced when the network
// returns; a sync whose answer is cut off after the server committed is retried without a
// duplicate (each person has exactly one payment).
//
// The payments go through the offline module of the built app (window.canbaoOffline, the same
// functions the collector pages call), so this test does not depend on the pages' markup.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { launch, close, login, api, shot, BASE } from './helpers.mjs'

const PHONE = { width: 390, height: 844 }

async function waitFor(page, fn, arg, { timeout = 15000, what = 'condition' } = {}) {
  const t0 = Date.now()
  for (;;) {
    const v = await page.evaluate(fn, arg)
    if (v) return v
    if (Date.now() - t0 > timeout) throw new Error('timed out waiting for ' + what)
    await page.waitForTimeout(200)
  }
}

const queueState = (page) =>
  page.evaluate(async () => (await window.canbaoOffline.pending()).map((i) => ({ id: i.id, person: i.persons[0], state: i.state, receipt: i.receipt, message: i.outcome && i.outcome.message })))

async function paymentsOf(page, person, year) {
  const r = await api(page, 'GET', `/payments?person=${encodeURIComponent(person)}&year=${year}&page_size=50`)
  assert.equal(r.status, 200, JSON.stringify(r.data))
  // the person's own payments (a subsidy paid with it is a row of its own, kind "subsidy")
  return r.data.items.filter((p) => p.kind === 'payment' && !p.reversed)
}

test('offline: PWA shell, queued payments, sync, cut-off sync retried without duplicates', async () => {
  const ctx = await launch()
  try {
    const page = await ctx.newPage()
    await page.setViewportSize(PHONE)
    await login(page, 'cun01')

    // --- PWA: manifest and service worker
    const manifest = await page.evaluate(async () => {
      const link = document.querySelector('link[rel=manifest]')
      return link ? fetch(link.href).then((r) => r.json()) : null
    })
    assert.ok(manifest, 'manifest link')
    assert.equal(manifest.name, '参保征缴')
    assert.equal(manifest.display, 'standalone')
    assert.ok(manifest.start_url)
    assert.ok(manifest.icons.some((i) => i.sizes === '512x512' && i.type === 'image/png'))
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true))
    await page.reload()
    await waitFor(page, () => !!navigator.serviceWorker.controller, null, { what: 'service worker control' })
    const shellCached = await page.evaluate(async () => {
      const keys = await caches.keys()
      const c = await caches.open(keys.find((k) => k.startsWith('canbao-shell-')))
      const reqs = await c.keys()
      return { index: !!(await c.match('/index.html')), assets: reqs.filter((r) => new URL(r.url).pathname.startsWith('/assets/')).length, api: reqs.filter((r) => r.url.includes('/api/')).length }
    })
    assert.ok(shellCached.index, 'index.html cached')
    assert.ok(shellCached.assets > 10, 'assets precached: ' + shellCached.assets)

    // --- the collector's households into IndexedDB
    const load = async () => {
      const info = await page.evaluate(() => window.canbaoOffline.refreshCache())
      assert.ok(info.households > 0, 'households cached: ' + JSON.stringify(info))
      const owing = await page.evaluate(async () => {
        const out = []
        for (const h of await window.canbaoOffline.findHouseholds('', { limit: 1000 }))
          for (const m of h.members) if (m.status === 'owing' && m.individual_due_fen > 0) out.push({ household: h.household, ...m })
        return out
      })
      return { info, owing }
    }
    let { info, owing } = await load()
    if (owing.length < 4) {
      // the village's few households were paid by an earlier test: the township collector (also
      // a collector with a phone cache) has more
      await api(page, 'POST', '/auth/logout', {})
      await login(page, 'zhen01')
      ;({ info, owing } = await load())
    }
    const year = info.year
    assert.ok(owing.length >= 4, 'at least 4 members owe: ' + owing.length)
    // the cache holds ID numbers only as their last 4 digits
    assert.ok(owing.every((m) => /^[0-9X]{4}$/.test(m.id_last4) && !('id_number' in m)))
    const found = await page.evaluate((n) => window.canbaoOffline.findHouseholds(n), owing[0].name)
    assert.ok(found.some((h) => h.household === owing[0].household), 'offline search by name')
    const health = await api(page, 'GET', '/health')
    const today = health.data.today // the server's date (the phone's clock may differ from a demo's)
    const body = (m) => ({ person: m.person, year, amount_fen: m.individual_due_fen, channel: 'village_collector', ...(today ? { paid_on: today } : {}) })

    // --- offline: the shell still opens, two payments are queued
    await ctx.setOffline(true)
    let fromSW = false
    page.on('response', (r) => {
      if (r.request().isNavigationRequest() && r.fromServiceWorker()) fromSW = true
    })
    await page.goto(BASE + '/collect/home')
    await waitFor(page, () => document.querySelector('#app') && document.querySelector('#app').children.length > 0, null, { what: 'app shell offline' })
    assert.equal(await page.evaluate(() => navigator.onLine), false)
    assert.ok(fromSW, 'navigation answered by the service worker')
    assert.ok(!page.url().includes('/login'), 'offline: stays logged in as the remembered collector, at ' + page.url())
    const a = owing[0]
    const b = owing[1]
    for (const m of [a, b]) {
      const r = await page.evaluate((bd) => window.canbaoOffline.payOrQueue(bd), body(m))
      assert.equal(r.queued, true)
      assert.equal(r.receipt, '待同步')
    }
    let q = await queueState(page)
    assert.deepEqual(q.map((i) => i.state), ['pending', 'pending'])
    const marked = await page.evaluate(async (hid) => (await window.canbaoOffline.getHousehold(hid)).members, a.household)
    assert.equal(marked.find((m) => m.person === a.person).status_label, '待同步')
    await shot(page, 'offline-queued-390', { fullPage: false })

    // --- online again: the `online` event syncs the queue
    await ctx.setOffline(false)
    await waitFor(page, async () => (await window.canbaoOffline.pending()).every((i) => i.state !== 'pending'), null, { what: 'auto sync', timeout: 20000 })
    q = await queueState(page)
    for (const i of q) assert.equal(i.state, 'synced', JSON.stringify(i))
    for (const i of q) assert.ok(i.receipt && i.receipt !== '待同步', 'receipt ' + JSON.stringify(i))
    for (const m of [a, b]) assert.equal((await paymentsOf(page, m.person, year)).length, 1, 'one payment for ' + m.name)
    await shot(page, 'offline-synced-390', { fullPage: false })

    // --- cut off: the batch reaches the server and commits, the answer never comes back
    const c = owing[2]
    const d = owing[3]
    await ctx.setOffline(true)
    for (const m of [c, d]) await page.evaluate((bd) => window.canbaoOffline.payOrQueue(bd), body(m))
    let cut = 0
    await page.route('**/api/v1/payments/batch', async (route) => {
      if (cut === 0) {
        cut++
        await route.fetch() // the server answered (committed) …
        await route.abort('connectionreset') // … the phone never gets it
      } else await route.continue()
    })
    await ctx.setOffline(false)
    // the auto sync (online event) meets the cut; if it ran before the route, cut stays 0
    await waitFor(page, () => !window.canbaoOffline.syncState.syncing && window.canbaoOffline.syncState.pending === 2, null, { what: 'first sync attempt', timeout: 20000 }).catch(() => null)
    if (cut === 0) await page.evaluate(() => window.canbaoOffline.syncNow())
    assert.equal(cut, 1, 'the batch was cut off once')
    q = (await queueState(page)).filter((i) => [c.person, d.person].includes(i.person))
    assert.deepEqual(q.map((i) => i.state), ['pending', 'pending'], 'kept in the queue after the cut')
    const keys = q.map((i) => i.id)
    for (const m of [c, d]) assert.equal((await paymentsOf(page, m.person, year)).length, 1, 'the server committed ' + m.name)
    const sum = await page.evaluate(() => window.canbaoOffline.syncNow())
    assert.equal(sum.left, 0, JSON.stringify(sum))
    q = (await queueState(page)).filter((i) => [c.person, d.person].includes(i.person))
    assert.deepEqual(q.map((i) => i.id), keys, 'same keys on the retry')
    for (const i of q) assert.equal(i.state, 'synced', JSON.stringify(i))
    for (const m of [a, b, c, d]) assert.equal((await paymentsOf(page, m.person, year)).length, 1, 'exactly one payment for ' + m.name)
    const rows = await paymentsOf(page, c.person, year)
    assert.equal(q.find((i) => i.person === c.person).receipt, rows[0].receipt_no, 'the replay gives the committed receipt')

    // the page, after all of it: no horizontal scroll at 390 px
    await page.goto(BASE + '/collect/home')
    await page.waitForTimeout(500)
    const sw = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth])
    assert.ok(sw[0] <= sw[1], 'no horizontal scroll: ' + sw)
    await shot(page, 'offline-after-390', { fullPage: false })

    // --- logout clears the offline data
    await page.evaluate(() => window.canbaoOffline.clearAll())
    assert.equal(await page.evaluate(async () => (await window.canbaoOffline.findHouseholds('')).length), 0)
    assert.equal(await page.evaluate(() => window.canbaoOffline.rememberedUser()), null)
  } finally {
    await close(ctx)
  }
})
