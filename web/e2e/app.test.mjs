// Browser tests against a real `canbao serve --demo` (started by run.mjs).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { BASE, USERS, launch, close, shot, login, api, statNumber } from './helpers.mjs'
import { xlsx, makeId } from './xlsx.mjs'

const TMP = process.env.E2E_TMP || '/tmp'
let ctx, page
const state = {}

before(async () => {
  ctx = await launch()
  page = await ctx.newPage()
  page.on('pageerror', (e) => (state.pageErrors = [...(state.pageErrors || []), String(e)]))
})
after(async () => {
  if (ctx) await close(ctx)
})

test('login page, wrong password, admin login', async () => {
  await page.goto(BASE + '/login')
  await page.waitForSelector('[data-test=login-form]')
  await shot(page, '01-login')
  await page.fill('input[name=username]', 'admin')
  await page.fill('input[name=password]', 'wrong-password')
  await page.click('[data-test=login-submit]')
  await page.waitForSelector('[data-test=login-error]')
  assert.match(await page.locator('[data-test=login-error]').innerText(), /密码|账号|用户/)
  await login(page, 'admin')
  await page.waitForSelector('[data-test=stat-paid] .stat-value')
  await page.waitForFunction(() => !/—/.test(document.querySelector('[data-test=stat-paid] .stat-value').textContent))
  state.paidBefore = await statNumber(page, 'paid')
  assert.ok(state.paidBefore > 0, 'demo has payments')
  // menu shows admin pages
  const menu = await page.locator('[data-test=sidebar]').innerText()
  assert.match(menu, /系统管理/)
  await page.waitForTimeout(800)
  await shot(page, '02-dashboard')
})

test('dashboard numbers match the API exactly; bar click drills down', async () => {
  const me = USERS.admin
  const p = await api(page, 'GET', `/progress?year=2024&under=${me.region}`)
  assert.equal(p.status, 200)
  assert.equal(state.paidBefore, p.data.total.paid)
  const target = await statNumber(page, 'target')
  assert.equal(target, p.data.total.target)
  // drill into the first unit via the table link
  const first = p.data.items[0]
  await page.locator('[data-test=progress-table] .el-link').first().click()
  await page.waitForFunction((name) => document.querySelector('[data-test=drill]').textContent.includes(name), first.name)
  await page.waitForTimeout(600)
  await shot(page, '03-dashboard-drill')
})

test('person search, household view, assessment trace', async () => {
  await page.goto(BASE + '/enroll/persons')
  await page.waitForSelector('[data-test=person-table] .el-table__row')
  const firstId = await page.locator('[data-test=person-table] [data-test=id-number]').first().innerText()
  assert.match(firstId, /^\d{6}\*{8}[\dX]{4}$/, 'IDs masked by default')
  await shot(page, '04-persons')
  // household
  await page.locator('[data-test=person-table] .el-table__row').first().locator('[data-test=hh-link]').click()
  await page.waitForSelector('[data-test=household-members] .el-table__row')
  await shot(page, '05-household')
  // person detail with assessment
  await page.locator('[data-test=household-members] [data-test=person-link]').first().click()
  await page.waitForSelector('[data-test=trace]')
  const trace = await page.locator('[data-test=trace]').innerText()
  assert.match(trace, /贵医保组〔2023〕1号/)
  await shot(page, '06-person-assessment')
})

test('unmasking an ID is a deliberate click and is audited', async () => {
  await page.locator('[data-test=unmask]').first().click()
  await page.getByRole('button', { name: '查看', exact: true }).click()
  await page.waitForFunction(() => /^\d{17}[\dX]$/.test(document.querySelector('[data-test=id-number]').textContent.trim()))
  const a = await api(page, 'GET', '/audit?page=1&page_size=20')
  assert.equal(a.status, 200)
  assert.ok(a.data.items.some((x) => x.action === 'person.unmask'), 'unmask audited')
})

test('import a roster .xlsx', async () => {
  const village = USERS.cun01.region
  const hh = 'H' + village + '-E2E001'
  const rows = [
    ['身份证号', '姓名', '户号', '户籍地区划', '人员类别'],
    [makeId(village.slice(0, 6), '19800101', 901), '测试甲', hh, village, ''],
    [makeId(village.slice(0, 6), '19820202', 902), '测试乙', hh, village, '低保对象'],
  ]
  state.newIds = [rows[1][0], rows[2][0]]
  const file = path.join(TMP, 'roster-ok.xlsx')
  writeFileSync(file, xlsx(rows))
  await page.goto(BASE + '/import')
  await page.waitForSelector('[data-test=import-form]')
  await page.setInputFiles('[data-test=import-upload] input[type=file]', file)
  await page.click('[data-test=import-submit]')
  await page.waitForSelector('[data-test=rows-written]')
  assert.equal(await page.locator('[data-test=rows-written]').innerText(), '2')
  assert.equal(await page.locator('[data-test=rows-rejected]').innerText(), '0')
  await shot(page, '07-import-ok')
})

test('a broken roster shows the row error report', async () => {
  const village = USERS.cun01.region
  const good = makeId(village.slice(0, 6), '19900303', 903)
  const bad = good.slice(0, 17) + (good[17] === '1' ? '2' : '1') // wrong check digit
  const rows = [
    ['身份证号', '姓名', '户号', '户籍地区划'],
    [bad, '错号', 'H' + village + '-E2E002', village],
    [makeId(village.slice(0, 6), '19900404', 904), '', 'H' + village + '-E2E002', village],
  ]
  const file = path.join(TMP, 'roster-bad.xlsx')
  writeFileSync(file, xlsx(rows))
  await page.goto(BASE + '/import')
  await page.waitForSelector('[data-test=import-form]')
  await page.setInputFiles('[data-test=import-upload] input[type=file]', file)
  await page.click('[data-test=import-submit]')
  await page.waitForSelector('[data-test=problems-table] .el-table__row, [data-test=import-error]')
  const rowsShown = await page.locator('[data-test=problems-table] .el-table__row').count()
  const errShown = await page.locator('[data-test=import-error]').count()
  assert.ok(rowsShown >= 1 || errShown >= 1, 'errors shown')
  if (rowsShown) {
    const text = await page.locator('[data-test=problems-table]').innerText()
    assert.match(text, /\b2\b/, 'row numbers as Excel shows them')
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-test=download-problems]')])
    assert.match(dl.suggestedFilename(), /错误报告/)
  }
  await shot(page, '08-import-errors')
})

test('record a payment with the amount pre-filled, print the receipt', async () => {
  const r = await api(page, 'GET', `/persons?status=unpaid&year=2024&village=${USERS.cun01.region}&page_size=50`)
  assert.equal(r.status, 200)
  assert.ok(r.data.items.length > 0, 'an unpaid person in the village')
  // pick one whose due is known and the window is open
  let chosen = null
  for (const p of r.data.items) {
    const a = await api(page, 'GET', `/persons/${p.person_key}/assessment?year=2024`)
    if (a.status === 200 && a.data.eligible && Number.isInteger(a.data.individual_due_fen) && ['not_paid', 'accepted'].includes(a.data.payment_status)) {
      chosen = { p, a: a.data }
      break
    }
  }
  assert.ok(chosen, 'a payable person')
  state.paid = chosen
  await page.goto(BASE + '/payment/record?person=' + encodeURIComponent(chosen.p.person_key))
  await page.waitForSelector('[data-test=pay-form]')
  await page.waitForSelector('[data-test=trace]')
  const amount = await page.locator('input[name=amount]').inputValue()
  const due = chosen.a.individual_due_fen
  assert.equal(amount, `${Math.trunc(due / 100)}.${String(due % 100).padStart(2, '0')}`)
  await shot(page, '09-payment-form')
  await page.click('[data-test=pay-submit]')
  await page.waitForSelector('[data-test=pay-done], [data-test=pay-error]')
  if (await page.locator('[data-test=pay-error]').count()) assert.fail('payment refused: ' + (await page.locator('[data-test=pay-error]').innerText()))
  await page.click('[data-test=open-receipt]')
  await page.waitForSelector('[data-test=receipt]')
  state.receiptNo = await page.locator('[data-test=receipt-no]').innerText()
  assert.match(state.receiptNo, /^\d{6}-2024-\d{8}$/)
  assert.match(await page.locator('[data-test=receipt-amount]').innerText(), new RegExp(amount.replace('.', '\\.')))
  await shot(page, '10-receipt')
  // the printable A5 page from the server
  const pr = await page.request.get(BASE + '/api/v1/receipts/' + state.receiptNo + '/print')
  assert.equal(pr.status(), 200)
  assert.match(await pr.text(), /缴费凭证/)
  await page.emulateMedia({ media: 'print' })
  await shot(page, '11-receipt-print')
  await page.emulateMedia({ media: 'screen' })
})

test('the dashboard number changes after the payment', async () => {
  await page.goto(BASE + '/dashboard')
  await page.waitForFunction(() => !/—/.test(document.querySelector('[data-test=stat-paid] .stat-value')?.textContent || '—'))
  const after = await statNumber(page, 'paid')
  assert.equal(after, state.paidBefore + 1)
})

test('reverse the payment with a reason', async () => {
  await page.goto(BASE + '/payment/ledger')
  await page.waitForSelector('[data-test=payment-table] .el-table__row')
  const row = page.locator('[data-test=payment-table] .el-table__row', { hasText: state.receiptNo }).first()
  await row.locator('[data-test=reverse]').click()
  await page.waitForSelector('[data-test=reverse-dialog]')
  await page.locator('[data-test=reverse-reason]').click()
  await page.getByRole('option', { name: '录入错误' }).click()
  await shot(page, '12-reverse-dialog', { fullPage: false })
  await page.click('[data-test=reverse-confirm]')
  await page.waitForSelector('[data-test=reverse-dialog]', { state: 'hidden' })
  const rows = await api(page, 'GET', `/payments?person=${state.paid.p.person_key}&year=2024`)
  assert.ok(rows.data.items.some((x) => x.kind === 'reversal'), 'reversal row')
  await shot(page, '13-ledger')
})

test('every main page renders without errors (screenshots)', async () => {
  const pages = [
    ['/payment/unpaid', '14-unpaid'],
    ['/campaign/progress', '15-progress'],
    ['/campaign/lists', '16-lists'],
    ['/campaign/reconcile', '17-reconcile'],
    ['/campaign/notice', '18-notice'],
    ['/campaign/reports', '19-reports'],
    ['/campaign/funds', '20-funds'],
    ['/policy/list', '21-policy'],
    ['/policy/diff', '22-policy-diff'],
    ['/policy/whatif', '23-whatif'],
    ['/system/users', '24-users'],
    ['/system/roles', '25-roles'],
    ['/system/audit', '26-audit'],
  ]
  for (const [p, name] of pages) {
    await page.goto(BASE + p)
    await page.waitForSelector('.app-container')
    await page.waitForLoadState('networkidle')
    await shot(page, name)
    const body = await page.locator('body').innerText()
    assert.doesNotMatch(body, /undefined|NaN|\[object Object\]/, `${p} shows raw values`)
  }
  assert.deepEqual(state.pageErrors || [], [], 'no uncaught page errors')
})

test('a village user is denied another village', async () => {
  const ctx2 = await launch()
  const p2 = await ctx2.newPage()
  try {
    await login(p2, 'cun01')
    const menu = await p2.locator('[data-test=sidebar]').innerText()
    assert.doesNotMatch(menu, /系统管理/)
    assert.doesNotMatch(menu, /对账/)
    // a person from another village (admin sees everyone)
    const all = await api(page, 'GET', '/persons?page_size=200')
    const other = all.data.items.find((x) => !x.hukou_region.startsWith(USERS.cun01.region))
    assert.ok(other, 'a person outside the village')
    const r = await api(p2, 'GET', '/persons/' + other.person_key)
    assert.ok(r.status === 404 || r.status === 403, 'API refuses: ' + r.status)
    await p2.goto(BASE + '/enroll/person/' + other.person_key)
    await p2.waitForSelector('[data-test=empty]')
    assert.match(await p2.locator('.app-container').innerText(), /未找到该人员|不在您的管辖范围/)
    await shot(p2, '27-village-denied')
    await p2.goto(BASE + '/system/users')
    await p2.waitForSelector('[data-test=forbidden]')
    await p2.goto(BASE + '/enroll/persons')
    await p2.waitForSelector('[data-test=person-table] .el-table__row')
    await shot(p2, '28-village-persons')
  } finally {
    await close(ctx2)
  }
})

test('public resident page works on a phone', async () => {
  const ctx3 = await launch()
  const p3 = await ctx3.newPage()
  try {
    await p3.setViewportSize({ width: 390, height: 844 })
    await p3.goto(BASE + '/resident')
    await p3.waitForSelector('[data-test=resident-form]')
    await p3.fill('input[name=id_number]', '341702198601308585')
    await p3.fill('input[name=name]', '不存在')
    await p3.click('[data-test=resident-submit]')
    await p3.waitForSelector('.el-result')
    assert.match(await p3.locator('body').innerText(), /未查询到/)
    const scrollW = await p3.evaluate(() => document.documentElement.scrollWidth)
    assert.ok(scrollW <= 390, 'no horizontal overflow on a phone: ' + scrollW)
    await shot(p3, '29-resident-phone-notfound')
    // a real resident: the admin reads one person unmasked (audited), the resident types it in
    const list = await api(page, 'GET', '/persons?status=paid&year=2024&page_size=1')
    const full = await api(page, 'GET', '/persons/' + list.data.items[0].person_key + '?unmask=1')
    assert.equal(full.status, 200)
    await p3.fill('input[name=id_number]', full.data.id_number)
    await p3.fill('input[name=name]', full.data.name)
    await p3.click('[data-test=resident-submit]')
    await p3.waitForSelector('[data-test=resident-result]')
    assert.match(await p3.locator('[data-test=resident-result]').innerText(), /已缴费/)
    const scrollW2 = await p3.evaluate(() => document.documentElement.scrollWidth)
    assert.ok(scrollW2 <= 390, 'no horizontal overflow on a phone: ' + scrollW2)
    await shot(p3, '29-resident-phone')
  } finally {
    await close(ctx3)
  }
})

test('a department user sees no residents payments', async () => {
  const ctx4 = await launch()
  const p4 = await ctx4.newPage()
  try {
    await login(p4, 'minzheng')
    const menu = await p4.locator('[data-test=sidebar]').innerText()
    assert.doesNotMatch(menu, /缴费管理/)
    const r = await api(p4, 'GET', '/payments?kind=payment&page_size=1')
    assert.equal(r.status, 403)
    await p4.goto(BASE + '/payment/ledger')
    await p4.waitForSelector('[data-test=forbidden]')
    await p4.goto(BASE + '/campaign/funds')
    await p4.waitForSelector('[data-test=subsidy-add]')
    await p4.click('[data-test=subsidy-add]')
    await p4.waitForSelector('[data-test=subsidy-dialog]')
    await shot(p4, '30-department-subsidy', { fullPage: false })
  } finally {
    await close(ctx4)
  }
})
