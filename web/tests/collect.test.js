import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import { h } from 'vue'
import ElementPlus from 'element-plus'
import * as Icons from '@element-plus/icons-vue'
import { createPinia, setActivePinia } from 'pinia'
import { createRouter, createMemoryHistory, RouterView } from 'vue-router'
import { routes, installGuards } from '../src/router'
import { homePathFor, phoneTabsFor, canAccess, menuFor } from '../src/router/menu'
import { useAuthStore } from '../src/stores/auth'
import { setCsrf } from '../src/api/http'
import { campaignYear, dueSummary, amountWords, dailyView, collectErrorMessage, queuedSummary, yuan, statusLabel, totalFen } from '../src/views/collect/util'
import { listRow } from '../src/views/collect/offline'

// ------------------------------------------------------------------ pure helpers

const DUE = {
  household: 'H341702100201-000012',
  region: '341702100201',
  region_name: '建设村',
  year: 2024,
  phone: '138****5678',
  members: [
    { person: 'p1', name: '张*三', id_last4: '1234', categories: [], subsidies: [], individual_due_fen: 38000, status: 'owing', status_label: '待缴费' },
    { person: 'p2', name: '李*', id_last4: '5678', categories: [{ id: 'minimum_living', label: '低保对象' }], subsidies: [{ payer: '民政局', amount_fen: 19000 }], individual_due_fen: 19000, status: 'owing', status_label: '待缴费' },
    { person: 'p3', name: '张*宝', id_last4: '0011', categories: [], subsidies: [], individual_due_fen: 38000, status: 'paid', status_label: '已缴费', receipt_no: '341702-2024-00000009' },
    { person: 'p4', name: '王*', id_last4: '9999', categories: [{ id: 'extreme_poverty', label: '特困人员' }], subsidies: [{ payer: '民政局', amount_fen: 38000 }], individual_due_fen: 0, status: 'not_required', status_label: '全额资助' },
  ],
  total_due_fen: 57000,
}

describe('household card math', () => {
  it('the campaign year follows the server day: autumn collects for next year', () => {
    expect(campaignYear('2023-11-20')).toBe(2024)
    expect(campaignYear('2024-03-01')).toBe(2024)
    expect(campaignYear('2024-09-01')).toBe(2025)
    expect(campaignYear('')).toBe(null)
  })
  it('totals what the owing members owe, in integer fen, and counts the rest', () => {
    const s = dueSummary(DUE)
    expect(s.owingCount).toBe(2)
    expect(s.owing.map((m) => m.person)).toEqual(['p1', 'p2'])
    expect(s.totalFen).toBe(57000)
    expect(s.sumFen).toBe(57000)
    expect(s.consistent).toBe(true)
    expect(s.paidCount).toBe(1)
    expect(s.otherCount).toBe(1)
    expect(yuan(s.totalFen)).toBe('¥ 570.00')
  })
  it('an undetermined due is not payable and not summed; a server total that disagrees is flagged', () => {
    const d = { ...DUE, members: [...DUE.members, { person: 'p5', name: '赵*', individual_due_fen: null, status: 'owing' }], total_due_fen: 57001 }
    const s = dueSummary(d)
    expect(s.owingCount).toBe(2)
    expect(s.undetermined.map((m) => m.person)).toEqual(['p5'])
    expect(s.consistent).toBe(false)
    expect(s.totalFen).toBe(57001) // the server's figure is shown
  })
  it('sums many fen exactly (no float drift)', () => {
    const items = Array.from({ length: 1000 }, () => ({ amount_fen: 10 }))
    expect(totalFen(items)).toBe(10000)
    expect(totalFen([{ amount_fen: 1 }, { amount_fen: null }, { amount_fen: 2 }])).toBe(3)
  })
  it('status labels come from the server, with fallbacks', () => {
    expect(statusLabel(DUE.members[3])).toBe('全额资助')
    expect(statusLabel({ status: 'cannot_pay' })).toBe('暂不能缴费')
    expect(statusLabel({ status: 'pending_sync' })).toBe('待同步')
  })
  it('writes amounts in Chinese capitals as a receipt does', () => {
    expect(amountWords(38000)).toBe('叁佰捌拾元整')
    expect(amountWords(57000)).toBe('伍佰柒拾元整')
    expect(amountWords(1005)).toBe('壹拾元零伍分')
    expect(amountWords(1230)).toBe('壹拾贰元叁角整')
    expect(amountWords(1000000)).toBe('壹万元整')
    expect(amountWords(1000100)).toBe('壹万零壹元整')
    expect(amountWords(0)).toBe('零元整')
    expect(amountWords(50)).toBe('伍角整')
  })
  it('a selective payment refusal names who must pay too', () => {
    const e = { status: 422, code: 'selective_enrollment', message: '不得选择性参保', details: { missing: [{ name: '李*' }, '王*'] } }
    expect(collectErrorMessage(e)).toBe('按户参保，不得选择性缴费：须一并缴费的成员 李*、王*')
    expect(collectErrorMessage({ status: 0 })).toMatch(/不会重复收款/)
    expect(collectErrorMessage({ status: 409, code: 'x', message: '已缴费' })).toBe('已缴费')
  })
  it('a queued household payment shows 待同步 rows and its total', () => {
    const s = queuedSummary({ ...DUE, head_name: '张*三' }, dueSummary(DUE).owing, { channel: 'village_collector', paid_on: '2023-11-20' })
    expect(s.queued).toBe(true)
    expect(s.rows.map((r) => r.placeholder)).toEqual(['待同步', '待同步'])
    expect(s.total_fen).toBe(57000)
  })
  it('a cached household (members array) becomes a search row', () => {
    const r = listRow({ household: 'H1', region: '1', region_name: '村', total_due_fen: 57000, members: DUE.members })
    expect(r).toMatchObject({ household: 'H1', head_name: '张*三', members: 4, owing: 2, paid: 1, total_due_fen: 57000 })
  })
})

describe('daily handover view', () => {
  it("a collector's day: channels labelled, totals kept", () => {
    const v = dailyView({
      date: '2023-11-20', collector: 'cun01', display_name: '村协理员', count: 2, total_fen: 76000,
      channels: [{ channel: 'village_collector', count: 2, amount_fen: 76000 }],
      items: [
        { receipt_no: 'R1', name: '张*三', amount_fen: 38000, channel: 'village_collector', paid_on: '2023-11-20', recorded_at: '2023-11-20T02:00:00Z', reversed: false },
        { receipt_no: 'R2', name: '李*', amount_fen: 38000, channel: 'wechat', paid_on: '2023-11-20', recorded_at: '2023-11-20T03:00:00Z', reversed: false },
      ],
    })
    expect(v.bureau).toBe(false)
    expect(v.channels[0].label).toBe('村协理员代收')
    expect(v.items[1].channel_label).toBe('微信')
    expect(v.totalFen).toBe(76000)
    expect(v.displayName).toBe('村协理员')
  })
  it('without totals from the server, reversed items are not counted', () => {
    const v = dailyView({ date: 'd', items: [{ amount_fen: 100 }, { amount_fen: 50, reversed: true }] })
    expect(v.totalFen).toBe(100)
    expect(v.count).toBe(1)
  })
  it("the bureau's answer lists collectors", () => {
    const v = dailyView({ date: 'd', collectors: [{ collector: 'cun01', count: 1, total_fen: 100, channels: [{ channel: 'wechat', count: 1, amount_fen: 100 }] }], count: 1, total_fen: 100 })
    expect(v.bureau).toBe(true)
    expect(v.collectors[0].display_name).toBe('cun01')
    expect(v.collectors[0].channels[0].label).toBe('微信')
  })
})

describe('collector menu and first page', () => {
  it('village and township start on 征缴; others on 工作台', () => {
    expect(homePathFor('village')).toBe('/collect/home')
    expect(homePathFor('township')).toBe('/collect/home')
    expect(homePathFor('admin')).toBe('/dashboard')
    expect(homePathFor('tax')).toBe('/dashboard')
  })
  it('collectors have bottom tabs on a phone, everyone they lead to is allowed', () => {
    const tabs = phoneTabsFor('village')
    expect(tabs.map((t) => t.title)).toEqual(['征缴', '日结', '未缴'])
    for (const t of tabs) expect(canAccess('village', t.path)).toBe(true)
    expect(phoneTabsFor('admin')).toEqual([])
  })
  it('征缴 and 日结 are in the menu of collectors; 日结 also for the bureau; not for tax or departments', () => {
    const titles = (role) => menuFor(role).flatMap((m) => (m.children ? m.children.map((c) => c.title) : [m.title]))
    expect(titles('village')).toEqual(expect.arrayContaining(['征缴', '日结']))
    expect(titles('admin')).toEqual(expect.arrayContaining(['征缴', '日结']))
    expect(titles('auditor')).toContain('日结')
    expect(titles('auditor')).not.toContain('征缴')
    expect(titles('tax')).not.toContain('日结')
    expect(canAccess('department', '/collect/household/H1')).toBe(false)
  })
  it('/ and the login page send a collector to 征缴, an admin to 工作台', async () => {
    const make = (user) => {
      const pinia = createPinia()
      setActivePinia(pinia)
      const store = useAuthStore()
      store.checked = true
      store.setSession({ user, csrf_token: 't' })
      const r = createRouter({ history: createMemoryHistory(), routes })
      installGuards(r, pinia)
      return r
    }
    const v = make({ username: 'cun01', role: 'village', region: '341702100201', region_name: '村' })
    await v.push('/')
    expect(v.currentRoute.value.path).toBe('/collect/home')
    await v.push('/login')
    await v.replace('/dashboard')
    expect(v.currentRoute.value.path).toBe('/collect/home')
    await v.push('/dashboard') // asked for by name later: allowed
    expect(v.currentRoute.value.path).toBe('/dashboard')
    const a = make({ username: 'admin', role: 'admin', region: '341702', region_name: '贵池区' })
    await a.push('/')
    expect(a.currentRoute.value.path).toBe('/dashboard')
  }, 30000) // loads the dashboard view (echarts): slow on a busy machine
})

// ------------------------------------------------------------------ components against a mocked fetch

function json(status, body) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}
function stubPhone(phone) {
  vi.stubGlobal('matchMedia', (q) => ({ matches: phone && /max-width/.test(q), media: q, addEventListener() {}, removeEventListener() {}, addListener() {}, removeListener() {} }))
}
async function mountAt(path, user) {
  const pinia = createPinia()
  setActivePinia(pinia)
  const store = useAuthStore()
  store.checked = true
  store.setSession({ user, csrf_token: 'tok' })
  const router = createRouter({ history: createMemoryHistory(), routes })
  installGuards(router, pinia)
  await router.push(path)
  await router.isReady()
  const components = {}
  for (const [k, c] of Object.entries(Icons)) components[k] = c
  const w = mount({ render: () => h(RouterView) }, { attachTo: document.body, global: { plugins: [ElementPlus, pinia, router], components } })
  for (let i = 0; i < 5; i++) {
    await flushPromises()
    await new Promise((r) => setTimeout(r, 10))
  }
  return { w, router }
}
const VILLAGE = { username: 'cun01', role: 'village', region: '341702100201', region_name: '建设村', display_name: '村协理员' }
const q = (sel) => document.body.querySelector(sel)
const qa = (sel) => [...document.body.querySelectorAll(sel)]

describe('phone layout', () => {
  let calls
  beforeEach(() => {
    calls = []
    vi.stubGlobal('fetch', vi.fn(async (url) => {
      calls.push(url)
      if (url.endsWith('/health')) return json(200, { ok: true, today: '2023-11-20' })
      if (url.startsWith('/api/v1/households?')) return json(200, { items: [{ household: 'H1', region: '341702100201', region_name: '建设村', head_name: '张*三', members: 3, owing: 2, paid: 1, total_due_fen: 57000 }], total: 1, page: 1, page_size: 20 })
      return json(404, {})
    }))
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })
  it('on a phone the menu is a drawer (no sidebar), collectors get bottom tabs, the title replaces breadcrumbs', async () => {
    stubPhone(true)
    const { w } = await mountAt('/collect/home', VILLAGE)
    expect(q('.sidebar')).toBeNull()
    expect(q('.el-breadcrumb')).toBeNull()
    expect(q('[data-test=page-title]').textContent).toBe('征缴')
    expect(qa('[data-test=tabbar] .tab').map((t) => t.textContent.trim())).toEqual(['征缴', '日结', '未缴', '菜单'])
    q('[data-test=menu-toggle]').click()
    await flushPromises()
    await new Promise((r) => setTimeout(r, 50))
    const drawer = q('[data-test=drawer-menu]')
    expect(drawer).not.toBeNull()
    expect(drawer.textContent).toContain('日结')
    expect(drawer.textContent).toContain('缴费登记')
    // the household search ran with the campaign year of the server's day
    expect(calls.find((u) => u.startsWith('/api/v1/households?'))).toContain('year=2024')
    expect(qa('[data-test=hh-card]').length).toBe(1)
    expect(q('[data-test=hh-due]').textContent).toBe('¥ 570.00')
    w.unmount()
  }, 30000)
  it('on a desktop the sidebar and breadcrumbs stay', async () => {
    stubPhone(false)
    const { w } = await mountAt('/collect/home', VILLAGE)
    expect(q('.sidebar [data-test=sidebar]')).not.toBeNull()
    expect(q('.el-breadcrumb')).not.toBeNull()
    expect(q('[data-test=tabbar]')).toBeNull()
    w.unmount()
  })
})

describe('household card: 整户缴费', () => {
  let calls
  beforeEach(() => {
    setCsrf('tok')
    calls = []
    stubPhone(true)
    vi.stubGlobal('fetch', vi.fn(async (url, init = {}) => {
      calls.push({ url, init })
      if (url.endsWith('/health')) return json(200, { ok: true, today: '2023-11-20' })
      if (url.includes('/due')) return json(200, DUE)
      if (url.endsWith('/payments') && init.method === 'POST')
        return json(201, { payments: [{ id: 1, receipt_no: 'R-1', person: 'p1' }, { id: 2, receipt_no: 'R-2', person: 'p2' }], receipts: ['R-1', 'R-2'], total_fen: 57000, household: DUE.household })
      if (url.includes('/receipts/')) return json(200, { number: url.split('/').pop(), name: '张*三', amount_fen: 38000, year: 2024, paid_on: '2023-11-20', channel: 'village_collector' })
      return json(404, {})
    }))
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })
  it('shows each member with due and status, the household total, and pays the owing members in one call', async () => {
    const { w, router } = await mountAt('/collect/household/' + DUE.household, VILLAGE)
    expect(calls.find((c) => c.url.includes('/due')).url).toBe('/api/v1/households/H341702100201-000012/due?year=2024')
    const members = qa('[data-test=member]')
    expect(members.length).toBe(4)
    expect(members[0].textContent).toContain('张*三')
    expect(members[0].textContent).toContain('¥ 380.00')
    expect(members[1].textContent).toContain('低保对象')
    expect(members[1].textContent).toContain('民政局 ¥ 190.00')
    expect(members[2].textContent).toContain('已缴费')
    expect(members[3].textContent).toContain('全额资助')
    expect(q('[data-test=hh-total]').textContent).toBe('¥ 570.00')
    expect(qa('[data-test=pay-one]').length).toBe(2) // one member alone is possible too
    q('[data-test=pay-household]').click()
    await flushPromises()
    await new Promise((r) => setTimeout(r, 50))
    expect(q('[data-test=pay-total]').textContent).toBe('¥ 570.00')
    q('[data-test=pay-confirm]').click()
    for (let i = 0; i < 5; i++) {
      await flushPromises()
      await new Promise((r) => setTimeout(r, 10))
    }
    const post = calls.find((c) => c.init.method === 'POST')
    expect(post.url).toBe('/api/v1/households/H341702100201-000012/payments')
    const body = JSON.parse(post.init.body)
    expect(body.idempotency_key).toBeTruthy()
    expect(body).toMatchObject({ year: 2024, channel: 'village_collector', paid_on: '2023-11-20' })
    expect(body.members).toBeUndefined() // every owing member: the server's default
    expect(post.init.headers['X-CSRF-Token']).toBe('tok')
    for (let i = 0; i < 50 && router.currentRoute.value.name !== 'collect-receipt'; i++) await new Promise((r) => setTimeout(r, 20))
    expect(router.currentRoute.value.name).toBe('collect-receipt')
    expect(router.currentRoute.value.query.r).toBe('R-1,R-2')
    w.unmount()
  })
  it('a refusal keeps the dialog open with the reason, and a retry sends the same key', async () => {
    let n = 0
    const base = fetch
    vi.stubGlobal('fetch', vi.fn(async (url, init = {}) => {
      if (url.endsWith('/payments') && init.method === 'POST') {
        calls.push({ url, init })
        n++
        return json(422, { error: { code: 'selective_enrollment', message: '不得选择性参保', details: { missing: [{ name: '王*' }] } } })
      }
      return base(url, init)
    }))
    const { w } = await mountAt('/collect/household/' + DUE.household, VILLAGE)
    q('[data-test=pay-household]').click()
    await flushPromises()
    q('[data-test=pay-confirm]').click()
    for (let i = 0; i < 4; i++) await flushPromises()
    expect(q('[data-test=pay-error]').textContent).toContain('须一并缴费的成员 王*')
    q('[data-test=pay-confirm]').click()
    for (let i = 0; i < 4; i++) await flushPromises()
    expect(n).toBe(2)
    const keys = calls.filter((c) => c.init.method === 'POST').map((c) => JSON.parse(c.init.body).idempotency_key)
    expect(keys[0]).toBe(keys[1])
    w.unmount()
  })
})
