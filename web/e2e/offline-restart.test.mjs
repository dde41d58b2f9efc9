// Offline sync against a server that dies (issue 14: "kill the server during a sync and retry: no
// duplicates"), in a real browser at 390×844 through the collector pages: offline, two whole
// households and one single member are paid (待同步 receipts with their collection time); back
// online, the sync's batch call is in flight when the server gets SIGKILL (it may or may not have
// committed); the server starts again on the same database and port; the queue retries by itself,
// and a household payment whose commit reached the disk just before a second SIGKILL is answered as
// a replay with the same receipts. Through the API every queued payment exists exactly once.
// Then logging out offline with a payment still queued asks first (留在系统 keeps it).
//
// The township collector zhen01 is used: the village's few households are paid by other tests.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { BASE, CONTROL, launch, close, login, api, shot, killServer, startServer } from './helpers.mjs'

const PHONE = { width: 390, height: 844 }
let ctx, page
const state = { errors: [] }

before(async () => {
  ctx = await launch()
  page = await ctx.newPage()
  await page.setViewportSize(PHONE)
  page.on('pageerror', (e) => state.errors.push(String(e)))
})
after(async () => {
  if (ctx) await close(ctx)
})

async function until(fn, { timeout = 20000, what = 'condition', every = 250 } = {}) {
  const t0 = Date.now()
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() - t0 > timeout) throw new Error('timed out waiting for ' + what)
    await new Promise((r) => setTimeout(r, every))
  }
}

const queue = () =>
  page.evaluate(async () =>
    (await window.canbaoOffline.pending()).map((i) => ({
      id: i.id,
      kind: i.kind,
      household: i.household,
      persons: i.persons,
      state: i.state,
      receipt: i.receipt,
      receipts: (i.outcome && i.outcome.receipts) || [],
      message: i.outcome && i.outcome.message,
      created_at: i.created_at,
    })),
  )

async function paymentsOf(person, year) {
  const r = await api(page, 'GET', `/payments?person=${encodeURIComponent(person)}&year=${year}&page_size=50`)
  assert.equal(r.status, 200, JSON.stringify(r.data))
  return r.data.items.filter((p) => p.kind === 'payment' && !p.reversed && !p.reversed_by)
}

async function noSideScroll(what) {
  const m = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth])
  assert.ok(m[0] <= m[1], `${what}: scrollWidth ${m[0]} > clientWidth ${m[1]}`)
}

/** Client-side, as the collector does it offline: 征缴 → search the 户号 → open the card. */
async function openHousehold(hid) {
  await page.click('[data-test=tabbar] .tab:has-text("征缴")')
  await page.waitForURL((u) => u.pathname === '/collect/home')
  await page.fill('[data-test=hh-search] input[name=q]', hid)
  await page.click('[data-test=hh-search-submit]')
  await page.locator('[data-test=hh-card]', { hasText: hid }).first().click()
  await page.waitForURL((u) => u.pathname === '/collect/household/' + encodeURIComponent(hid))
  await page.waitForSelector('[data-test=member]')
}

/** Confirm the open pay dialog and land on the 待同步 receipt; → the slip's text. */
async function confirmQueued(what) {
  await page.waitForSelector('[data-test=pay-dialog] [data-test=pay-confirm]', { state: 'visible' })
  await page.click('[data-test=pay-confirm]')
  await page.waitForURL((u) => u.pathname.startsWith('/collect/receipt/'), { timeout: 15000 })
  await page.waitForSelector('[data-test=household-receipt]')
  const slip = await page.locator('[data-test=household-receipt]').innerText()
  assert.match(slip, /待同步/, what + ': placeholder receipt')
  // the collection time (date and minute on the phone's clock) is on the placeholder
  const at = (await page.locator('[data-test=collected-at]').innerText()).trim()
  assert.match(at, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/, what + ': 收款时间 ' + at)
  return slip
}

test('server SIGKILLed during the sync, restarted, queue retried: each payment exactly once', async (t) => {
  if (!CONTROL) return t.skip('needs e2e/run.mjs (server restart)')
  await login(page, 'zhen01')
  await page.waitForURL((u) => u.pathname === '/collect/home', { timeout: 15000 })
  // the service worker controls the page (the shell opens offline), the households are cached
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true))
  await page.reload()
  await page.waitForFunction(() => !!navigator.serviceWorker.controller)
  await page.waitForSelector('[data-test=hh-search]')
  const info = await until(() => page.evaluate(() => window.canbaoOffline.cacheInfo()), { what: 'households cached after login' })
  const year = info.year

  // two households to pay whole, one more with two owing members to pay one of them
  const hhs = await page.evaluate(async () => {
    const ok = (m) => m.status === 'owing' && Number.isInteger(m.individual_due_fen) && m.individual_due_fen > 0
    return (await window.canbaoOffline.findHouseholds('', { limit: 5000 }))
      .filter((h) => h.members.some(ok) && h.members.every((m) => m.status !== 'owing' || ok(m)) && !h.members.some((m) => m.status === 'pending_sync'))
      .map((h) => ({ household: h.household, owing: h.members.filter(ok).map((m) => ({ person: m.person, name: m.name, id_last4: m.id_last4, due: m.individual_due_fen })) }))
  })
  const single = hhs.find((h) => h.owing.length >= 3) || hhs.find((h) => h.owing.length >= 2)
  const whole = hhs.filter((h) => h !== single).slice(0, 2)
  assert.ok(single && whole.length === 2, 'enough owing households in the cache: ' + hhs.length)
  state.year = year
  state.single = single

  // --- offline: pay two households whole and one member alone, through the pages
  await ctx.setOffline(true)
  for (const h of whole) {
    await openHousehold(h.household)
    await page.click('[data-test=pay-household]')
    await confirmQueued('整户 ' + h.household)
  }
  await openHousehold(single.household)
  const m1 = single.owing[0]
  await page.locator('[data-test=member]', { hasText: '尾号 ' + m1.id_last4 }).locator('[data-test=pay-one]').click()
  await confirmQueued('单人 ' + m1.name)
  await noSideScroll('queued receipt')
  await shot(page, 'r01-queued-receipt-390')
  let q = await queue()
  assert.deepEqual(q.map((i) => [i.kind, i.state]), [['household', 'pending'], ['household', 'pending'], ['payment', 'pending']])
  const keys = q.map((i) => i.id)

  // --- online again; the sync's batch call is in flight when the server is SIGKILLed
  let mode = 'kill-in-flight'
  const kills = []
  const seen = []
  let committed = null
  await page.route(/\/api\/v1\/(payments\/batch|households\/[^/]+\/payments)$/, async (route) => {
    const req = route.request()
    if (req.method() !== 'POST') return route.continue()
    const what = req.url().includes('/payments/batch') ? 'batch' : 'household'
    seen.push(mode + ':' + what)
    if (mode === 'hold') return route.abort('connectionrefused') // the server is down
    if (mode === 'kill-in-flight' && what === 'batch') {
      mode = 'hold'
      await route.continue() // on its way to the server …
      await killServer() // … which dies now: it may or may not have committed
      kills.push('batch in flight')
      return
    }
    if (mode === 'commit-then-kill' && what === 'household') {
      mode = 'hold'
      const res = await route.fetch() // the server committed and answered …
      committed = { status: res.status(), body: await res.json(), key: JSON.parse(req.postData()).idempotency_key }
      await killServer() // … and dies before the phone reads the answer
      kills.push('household after commit')
      return route.abort('connectionreset')
    }
    return route.continue()
  })
  await ctx.setOffline(false) // the `online` event starts the sync
  await until(() => kills.length === 1, { what: 'the first SIGKILL (batch in flight)' })
  await startServer()
  // before any retry reaches it: did the killed server commit the single payment?
  const singleBefore = await paymentsOf(m1.person, year)
  assert.ok(singleBefore.length <= 1, 'at most one payment after the kill: ' + singleBefore.length)
  state.singleCommittedBeforeKill = singleBefore.length === 1
  q = await queue()
  for (const i of q.filter((x) => x.kind === 'household')) assert.equal(i.state, 'pending', 'households not sent yet: ' + JSON.stringify(i))

  // --- the automatic retry; this time the first household's commit lands, then SIGKILL again
  mode = 'commit-then-kill'
  await until(() => kills.length === 2, { timeout: 60000, what: 'the automatic retry and the second SIGKILL' })
  assert.ok([200, 201].includes(committed.status), 'the household payment was committed: ' + JSON.stringify(committed))
  const first = whole[0]
  assert.equal(committed.key, keys[0], 'the first queued household went first')
  await startServer()
  const committedReceipts = {}
  for (const m of first.owing) {
    const rows = await paymentsOf(m.person, year)
    assert.equal(rows.length, 1, 'committed before the kill: ' + m.name)
    committedReceipts[m.person] = rows[0].receipt_no
  }
  q = await queue()
  assert.equal(q[0].state, 'pending', 'the phone never got the answer: ' + JSON.stringify(q[0]))

  // --- the server stays up now: the queue retries by itself and finishes
  mode = 'pass'
  await until(async () => (await queue()).every((i) => i.state !== 'pending'), { timeout: 90000, what: 'the queue synced after the restarts' })
  q = await queue()
  assert.deepEqual(q.map((i) => i.id), keys, 'same keys throughout')
  for (const i of q) assert.equal(i.state, 'synced', JSON.stringify(i))

  // each queued payment exists exactly once on the server
  const all = [...whole.flatMap((h) => h.owing), m1]
  const rowsOf = {}
  for (const m of all) {
    const rows = await paymentsOf(m.person, year)
    assert.equal(rows.length, 1, `exactly one payment for ${m.name} (${m.person}): ${rows.length}`)
    rowsOf[m.person] = rows[0]
  }
  // the household committed before the second kill was answered as a replay: the same receipts
  assert.deepEqual([...q[0].receipts].sort(), Object.values(committedReceipts).sort(), 'replayed receipts')
  for (const [i, h] of whole.entries()) assert.deepEqual([...q[i].receipts].sort(), h.owing.map((m) => rowsOf[m.person].receipt_no).sort(), 'receipts of ' + h.household)
  // the single payment: its receipt is the server's one (a replay if the first kill came after its commit)
  assert.equal(q[2].receipt, rowsOf[m1.person].receipt_no, 'single receipt')
  if (state.singleCommittedBeforeKill) assert.equal(q[2].receipt, singleBefore[0].receipt_no, 'replay of the batch committed before the kill')
  t.diagnostic(`kills: ${kills.join(', ')}; requests: ${seen.join(' ')}; single committed before the first kill: ${state.singleCommittedBeforeKill}`)
  await page.unroute(/\/api\/v1\/(payments\/batch|households\/[^/]+\/payments)$/)

  // --- the page: the 待同步 receipt on screen turned into the real one, with the collection time
  await page.waitForURL((u) => new URL(u).searchParams.get('r') === rowsOf[m1.person].receipt_no, { timeout: 15000 })
  await page.waitForSelector('[data-test=person-receipt]').catch(async (e) => {
    await shot(page, 'r02-debug')
    throw new Error(e.message + '\n' + (await page.locator('.app-container').innerText()))
  })
  const slip = await page.locator('[data-test=household-receipt]').innerText()
  assert.doesNotMatch(slip, /待同步/)
  assert.match(slip, new RegExp(rowsOf[m1.person].receipt_no))
  const collected = (await page.locator('[data-test=collected-at]').innerText()).trim()
  const created = q[2].created_at
  const local = await page.evaluate((iso) => {
    const d = new Date(iso)
    const p = (n) => String(n).padStart(2, '0')
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
  }, created)
  assert.ok(collected.startsWith(local), `收款时间 ${collected} is the queue's ${local}`)
  assert.match(await page.locator('[data-test=synced-at]').innerText(), /\d{4}-\d{2}-\d{2} \d{2}:\d{2}/)
  await noSideScroll('synced receipt')
  await shot(page, 'r02-synced-receipt-390')
  await page.click('[data-test=tabbar] .tab:has-text("征缴")')
  await page.waitForSelector('[data-test=sync-summary]')
  await page.waitForFunction(() => /全部已同步/.test(document.querySelector('[data-test=sync-summary]').textContent))
  await shot(page, 'r03-home-synced-390', { fullPage: false })
})

test('logout offline with a queued payment asks; 留在系统 keeps it, 仍然退出 drops it', async (t) => {
  if (!state.single) return t.skip('needs the first test')
  const m2 = state.single.owing[1]
  await ctx.setOffline(true)
  await openHousehold(state.single.household)
  await page.locator('[data-test=member]', { hasText: '尾号 ' + m2.id_last4 }).locator('[data-test=pay-one]').click()
  await confirmQueued('单人 ' + m2.name)
  assert.equal(await page.evaluate(() => window.canbaoOffline.unsyncedCount()), 1)

  const ask = async () => {
    await page.click('[data-test=user-menu]')
    await page.locator('.el-dropdown-menu__item:visible', { hasText: '退出登录' }).click()
    await page.waitForSelector('.logout-unsynced', { state: 'visible' })
    return page.locator('.logout-unsynced')
  }
  let box = await ask()
  const text = await box.innerText()
  assert.match(text, /1 笔缴费/)
  assert.match(text, /删除/)
  await page.waitForTimeout(300)
  await shot(page, 'r04-logout-unsynced-390', { fullPage: false })
  await box.locator('.el-button', { hasText: '留在系统' }).click()
  await page.waitForSelector('.logout-unsynced', { state: 'hidden' })
  assert.ok(!page.url().includes('/login'), 'stayed: ' + page.url())
  assert.equal(await page.evaluate(() => window.canbaoOffline.unsyncedCount()), 1, 'the queue is kept')

  box = await ask()
  await box.locator('.el-button', { hasText: '仍然退出' }).click()
  await page.waitForURL((u) => u.pathname === '/login', { timeout: 15000 })
  assert.equal(await page.evaluate(() => window.canbaoOffline.unsyncedCount()), 0, 'dropped on explicit confirm')
  // it was dropped, never sent: the member still owes on the server
  await ctx.setOffline(false)
  await login(page, 'zhen01')
  assert.equal((await paymentsOf(m2.person, state.year)).length, 0)
})

test('no page errors', () => {
  assert.deepEqual(state.errors, [])
})
