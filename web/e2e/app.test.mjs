// Browser tests against a real `canbao serve --demo` (started by run.mjs).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { BASE, USERS, SHOTS, launch, close, shot, login, api, statNumber } from './helpers.mjs'
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

// ---------------------------------------------------------------- 参保登记: newborn, suspension, move, pinyin initials

const maskIdE2E = (id) => id.slice(0, 6) + '********' + id.slice(-4)
const addDaysE2E = (d, n) => new Date(Date.parse(d + 'T00:00:00Z') + n * 86400000).toISOString().slice(0, 10)

test('新生儿登记 in a household, duplicate refused, 参保暂停 with a reason, 迁移/变更户, search by pinyin initials', async () => {
  const village = USERS.cun01.region
  const today = (await api(page, 'GET', '/health')).data.today
  // a household of the village whose every member is enrolled for 2024: the newborn is enrolled with it
  const reg = await api(page, 'GET', `/persons?status=registered&year=2024&village=${village}&page_size=50`)
  assert.equal(reg.status, 200)
  let hh = null
  for (const id of [...new Set(reg.data.items.map((x) => x.household))]) {
    const h = await api(page, 'GET', '/households/' + encodeURIComponent(id) + '?year=2024')
    if (h.status === 200 && h.data.members.every((m) => m.enrollment || m.deceased)) {
      hh = h.data
      break
    }
  }
  assert.ok(hh, 'a fully enrolled household in ' + village)
  // ID: the household's county + born 20 days before the server's today + sequence + check digit
  const birth = addDaysE2E(today, -20)
  const newbornId = makeId(hh.region.slice(0, 6), birth.replace(/-/g, ''), 517)
  state.newborn = { id: newbornId, name: '测试宝宝', household: hh.id, birth }

  await page.goto(BASE + '/enroll/household/' + encodeURIComponent(hh.id))
  await page.waitForSelector('[data-test=household-members] .el-table__row')
  const rowsBefore = await page.locator('[data-test=household-members] .el-table__body-wrapper .el-table__row').count()
  assert.equal(rowsBefore, hh.members.length)
  await page.click('[data-test=newborn-open]')
  await page.waitForSelector('[data-test=newborn-dialog]')
  // a wrong check digit is refused in the browser
  const wrong = newbornId.slice(0, 17) + (newbornId[17] === '1' ? '2' : '1')
  await page.fill('input[name=newborn-id]', wrong)
  await page.waitForSelector('[data-test=newborn-dialog] .el-form-item__error')
  assert.match(await page.locator('[data-test=newborn-dialog] .el-form-item__error').first().innerText(), /校验位错误/)
  await page.fill('input[name=newborn-id]', newbornId)
  await page.fill('input[name=newborn-name]', state.newborn.name)
  assert.equal(await page.locator('input[name=newborn-birth]').inputValue(), birth, 'birth prefilled from the ID')
  const rule = await page.locator('[data-test=newborn-rule]').innerText()
  assert.match(rule, /出生90天内参保缴费的，自出生之日起享受医保待遇/)
  assert.match(rule, new RegExp('出生第 20 天，须在 ' + addDaysE2E(birth, 90) + ' 前'))
  await shot(page, '31-newborn-dialog', { fullPage: false })
  await page.click('[data-test=newborn-submit]')
  await page.waitForSelector('[data-test=newborn-dialog]', { state: 'hidden' })
  await page.waitForSelector('[data-test=household-notice]')
  const notice = await page.locator('[data-test=household-notice]').innerText()
  assert.match(notice, /测试宝宝 已登记入户/)
  await page.waitForFunction((n) => document.querySelectorAll('[data-test=household-members] .el-table__body-wrapper .el-table__row').length === n, rowsBefore + 1)
  const newRow = page.locator('[data-test=household-members] .el-table__body-wrapper .el-table__row', { hasText: maskIdE2E(newbornId) })
  assert.equal(await newRow.count(), 1, 'the newborn is in the member list')
  assert.match(await newRow.innerText(), new RegExp(birth))
  await shot(page, '32-household-newborn')

  // the same ID again: the server's Chinese message in the dialog
  await page.click('[data-test=newborn-open]')
  await page.waitForSelector('[data-test=newborn-dialog]')
  await page.fill('input[name=newborn-id]', newbornId)
  await page.fill('input[name=newborn-name]', state.newborn.name)
  await page.click('[data-test=newborn-submit]')
  await page.waitForSelector('[data-test=newborn-error]')
  assert.match(await page.locator('[data-test=newborn-error]').innerText(), /已登记/)
  await shot(page, '31-newborn-duplicate', { fullPage: false })
  await page.locator('[data-test=newborn-dialog] .el-dialog__footer button', { hasText: '取消' }).click()
  await page.waitForSelector('[data-test=newborn-dialog]', { state: 'hidden' })

  // 参保暂停 of the newborn's enrollment (registered, not paid: the payment counts stay as they were)
  const nb = await api(page, 'GET', '/persons/' + newbornId)
  assert.equal(nb.status, 200)
  state.newborn.key = nb.data.person_key
  assert.ok(nb.data.enrollment && nb.data.enrollment.status === 'registered', 'newborn enrolled with the household: ' + JSON.stringify(nb.data.enrollment))
  await newRow.locator('[data-test=suspend-open]').click()
  await page.waitForSelector('[data-test=suspend-dialog]')
  assert.equal(await page.locator('[data-test=suspend-confirm]').isDisabled(), true, 'a reason is required')
  await page.locator('[data-test=suspend-reason]').click()
  await page.getByRole('option', { name: '迁往外省（市）参保' }).click()
  await shot(page, '33-suspend-dialog', { fullPage: false })
  await page.click('[data-test=suspend-confirm]')
  await page.waitForSelector('[data-test=suspend-dialog]', { state: 'hidden' })
  await page.waitForFunction((n) => document.querySelectorAll('[data-test=household-members] .el-table__body-wrapper .el-table__row').length === n, rowsBefore + 1)
  // the member list shows 参保暂停 (not 未参保) for the suspended newborn
  await page.waitForFunction((id) => [...document.querySelectorAll('[data-test=household-members] .el-table__body-wrapper .el-table__row')].some((r) => r.innerText.includes(id) && r.innerText.includes('参保暂停')), maskIdE2E(newbornId))
  assert.equal(await page.locator('[data-test=household-notice]').count(), 0, 'the newborn notice is gone after the next action')
  await shot(page, '33-household-after-suspend')
  const after = await api(page, 'GET', '/persons/' + state.newborn.key)
  const e = after.data.enrollments.find((x) => x.id === nb.data.enrollment.id)
  assert.equal(e.status, 'suspended')
  // the person page shows it, and offers no second suspension
  await page.goto(BASE + '/enroll/person/' + state.newborn.key)
  await page.waitForSelector('[data-test=move-open]')
  await page.locator('.el-tabs__item', { hasText: '参保记录' }).click()
  await page.waitForFunction(() => /参保暂停/.test(document.querySelector('.el-tabs__content').innerText))
  assert.equal(await page.locator('.el-tab-pane:not([style*="display: none"]) [data-test=suspend-open]').count(), 0)
  await shot(page, '34-person-suspended')

  // 迁移/变更户: into another household of the village; an unknown household is explained
  const other = reg.data.items.map((x) => x.household).find((x) => x !== hh.id)
  assert.ok(other, 'another household')
  await page.click('[data-test=move-open]')
  await page.waitForSelector('[data-test=move-dialog]')
  await page.fill('input[name=move-household]', hh.id.replace(/-\d+$/, '-999999'))
  await page.click('[data-test=move-lookup]')
  await page.waitForSelector('[data-test=move-dialog] .danger')
  assert.match(await page.locator('[data-test=move-dialog] .danger').innerText(), /未找到该户/)
  await page.fill('input[name=move-household]', other)
  await page.click('[data-test=move-lookup]')
  await page.waitForSelector('[data-test=move-target]')
  await shot(page, '35-move-dialog', { fullPage: false })
  await page.click('[data-test=move-confirm]')
  await page.waitForSelector('[data-test=move-dialog]', { state: 'hidden' })
  await page.waitForFunction((h) => document.querySelector('.el-descriptions').innerText.includes(h), other)
  const moved = await api(page, 'GET', '/households/' + encodeURIComponent(other))
  assert.ok(moved.data.members.some((m) => m.person_key === state.newborn.key), 'moved into ' + other)

  // pinyin initials: 测试宝宝 → csbb
  await page.goto(BASE + '/enroll/persons')
  await page.waitForSelector('[data-test=person-table] .el-table__row')
  assert.match(await page.locator('input[name=q]').getAttribute('placeholder'), /拼音首字母/)
  await page.fill('input[name=q]', 'csbb')
  await page.press('input[name=q]', 'Enter')
  await page.waitForFunction((id) => document.querySelector('[data-test=person-table]').innerText.includes(id), maskIdE2E(newbornId), { timeout: 15000 })
  const direct = await api(page, 'GET', '/persons?q=csbb&page_size=50')
  assert.ok(direct.data.items.some((x) => x.person_key === state.newborn.key), 'GET /persons?q=csbb finds the newborn')
  await settled(page)
  await shot(page, '36-pinyin-search')
})

// ---------------------------------------------------------------- campaign and policy pages on real data

const grouped = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
const yuan = (fen) => grouped(Math.trunc(fen / 100)) + '.' + String(Math.abs(fen) % 100).padStart(2, '0')
const UNMASKED_ID = /(^|[^\d*])\d{17}[\dXx](?![\d*])/
async function noRawValues(p, where) {
  const body = await p.locator('.app-container').innerText()
  assert.doesNotMatch(body, /undefined|NaN|\[object Object\]/, `${where} shows raw values`)
  return body
}
async function settled(p) {
  await p.waitForLoadState('networkidle')
  await p.waitForFunction(() => !document.querySelector('.el-loading-mask:not([style*="display: none"])'), null, { timeout: 20000 }).catch(() => {})
}
const footCell = (p, table, i) => p.locator(`[data-test=${table}] .el-table__footer-wrapper td`).nth(i).innerText()
/** The 合计 cell under the column headed `label`. */
async function footBy(p, table, label) {
  const heads = await p.locator(`[data-test=${table}] .el-table__header-wrapper th`).allInnerTexts()
  const i = heads.findIndex((h) => h.trim() === label)
  assert.ok(i >= 0, `column ${label} in ${table}: ${heads.join('|')}`)
  return footCell(p, table, i)
}

test('dashboard charts show real data: trend by week, channels, subsidy by department', async () => {
  const region = USERS.admin.region
  const [w, ch, sub] = await Promise.all([
    api(page, 'GET', `/progress/weekly?year=2024&under=${region}`),
    api(page, 'GET', `/progress/channels?year=2024&under=${region}`),
    api(page, 'GET', `/funds/subsidies?year=2024&under=${region}`),
  ])
  assert.equal(w.status, 200, 'GET /progress/weekly')
  assert.ok(w.data.items.length > 1, 'weeks in the trend')
  assert.equal(ch.status, 200, 'GET /progress/channels')
  assert.ok(ch.data.items.length > 0, 'payment channels')
  assert.equal(sub.status, 200, 'GET /funds/subsidies')
  await page.goto(BASE + '/dashboard')
  for (const c of ['chart-rate', 'chart-trend', 'chart-channels', 'chart-payers']) {
    await page.waitForSelector(`[data-test=${c}] canvas`, { timeout: 20000 })
    assert.equal(await page.locator(`[data-test=${c}] [data-test=empty]`).count(), 0, `${c} not empty`)
  }
  await settled(page)
  await page.waitForTimeout(800)
  await shot(page, '02-dashboard')
})

test('任务与进度: tree total equals GET /progress, change since last week and rank, expand a town', async () => {
  const p = await api(page, 'GET', `/progress?year=2024&under=${USERS.admin.region}`)
  assert.equal(p.status, 200)
  await page.goto(BASE + '/campaign/progress')
  await page.waitForSelector('[data-test=progress-table] .el-table__row')
  await settled(page)
  assert.equal(await footBy(page, 'progress-table', '已缴费'), grouped(p.data.total.paid), 'paid total')
  assert.equal(await footBy(page, 'progress-table', '已登记'), grouped(p.data.total.enrolled), 'enrolled total')
  assert.equal(await footBy(page, 'progress-table', '个人缴费（元）'), yuan(p.data.total.paid_fen), 'individual money total')
  const change = p.data.total.change.paid
  assert.equal((await footBy(page, 'progress-table', '本周新增')).replace(/,/g, ''), change > 0 ? '+' + change : String(change), 'change since last week')
  const rows = await page.locator('[data-test=progress-table] .el-table__body-wrapper .el-table__row').count()
  assert.equal(rows, p.data.items.length)
  const ranked = p.data.items.filter((x) => x.rank).length
  if (ranked) assert.match(await page.locator('[data-test=progress-table] .el-table__body-wrapper').innerText(), /\n1\n|\t1\t|\b1\b/)
  // expand the first town in place (lazy children from GET /progress?under=)
  const town = p.data.items.find((x) => x.kind === 'region' && x.region.length < 12)
  if (town) {
    await page.locator('[data-test=progress-table] .el-table__expand-icon').first().click()
    await page.waitForFunction((n) => document.querySelectorAll('[data-test=progress-table] .el-table__body-wrapper .el-table__row').length > n, rows, { timeout: 15000 })
  }
  await noRawValues(page, '任务与进度')
  await shot(page, '15-progress')
})

test('报表: weekly report by level with the API total, export .xlsx', async () => {
  const health = await api(page, 'GET', '/health')
  await page.goto(BASE + '/campaign/reports')
  await page.waitForSelector('[data-test=weekly-table] .el-table__row')
  await settled(page)
  const week = await page.evaluate(() => document.querySelector('.panel-title').textContent.match(/\d{4}-W\d{2}/)[0])
  const r = await api(page, 'GET', `/reports/weekly?week=${week}&under=${USERS.admin.region}`)
  assert.equal(r.status, 200)
  assert.ok(health.data.today, 'server today')
  assert.equal(await footBy(page, 'weekly-table', '缴费人数'), grouped(r.data.total.paid), 'weekly paid total')
  assert.equal(await footBy(page, 'weekly-table', '个人缴费（元）'), yuan(r.data.total.collected_fen), 'weekly money total')
  assert.ok(r.data.levels.length >= 1)
  const tabs = await page.locator('[data-test=weekly-levels] .el-tabs__item').allInnerTexts()
  assert.equal(tabs.length, r.data.levels.length)
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=export]').first().click()])
  assert.match(dl.suggestedFilename(), /\.xlsx$/)
  await noRawValues(page, '报表')
  await shot(page, '19-reports')
  // the village level
  if (tabs.length > 1) {
    await page.locator('[data-test=weekly-levels] .el-tabs__item').last().click()
    await page.waitForTimeout(300)
    await shot(page, '19-reports-village')
  }
})

test('对账: upload a tax file made from demo persons, mismatches listed by kind with both sides, rerun, export', async () => {
  const region = USERS.admin.region
  const paid = await api(page, 'GET', `/persons?status=paid&year=2024&village=${region}&page_size=3`)
  const unpaid = await api(page, 'GET', `/persons?status=unpaid&year=2024&village=${region}&page_size=1`)
  assert.ok(paid.data.items.length === 3 && unpaid.data.items.length === 1, 'paid and unpaid demo persons')
  const lines = [['身份证号', '姓名', '电子税票号码', '缴费金额', '缴费时间', '缴费年度']]
  let n = 0
  for (const p of [...paid.data.items, ...unpaid.data.items]) {
    const full = await api(page, 'GET', `/persons/${p.person_key}?unmask=1`)
    const pays = await api(page, 'GET', `/payments?person=${p.person_key}&year=2024&kind=payment`)
    const fen = pays.data.items.length ? pays.data.items[0].amount_fen : 38000
    n++
    // row 2 pays 1 yuan more at the tax bureau than the ledger says: amount_differs
    lines.push([full.data.id_number, full.data.name, 'E2E-TAX-' + n, yuan(n === 2 ? fen + 100 : fen).replace(/,/g, ''), '2023-11-01', '2024'])
  }
  const file = path.join(TMP, 'tax-e2e.csv')
  writeFileSync(file, lines.map((l) => l.join(',')).join('\n') + '\n')
  await page.goto(BASE + '/campaign/reconcile')
  await page.waitForSelector('[data-test=recon-form]')
  await page.setInputFiles('[data-test=recon-tax] input[type=file]', file)
  await page.click('[data-test=recon-run]')
  await page.waitForSelector('[data-test=recon-items] .el-table__row, [data-test=recon-error]', { timeout: 60000 })
  if (await page.locator('[data-test=recon-error]').count()) assert.fail('reconciliation refused: ' + (await page.locator('[data-test=recon-error]').innerText()))
  const kinds = await page.locator('[data-test=recon-kinds]').innerText()
  assert.match(kinds, /金额不一致（1）/)
  assert.match(kinds, /税务有、平台无（1）/)
  assert.match(kinds, /平台有、税务无（[1-9]/)
  const detail = await page.locator('[data-test=recon-detail]').innerText()
  assert.doesNotMatch(detail, UNMASKED_ID, 'IDs masked in the findings')
  // both sides of the amount mismatch
  await page.locator('[data-test=recon-kinds] label', { hasText: '金额不一致' }).click()
  const row = await page.locator('[data-test=recon-items] .el-table__row').first().innerText()
  assert.match(row, /金额：\d+\.\d{2} 元/)
  assert.match(row, /个人缴费：\d+\.\d{2} 元/)
  await noRawValues(page, '对账')
  await shot(page, '17-reconcile')
  const runs = await api(page, 'GET', '/reconciliations?year=2024')
  assert.ok(runs.data.items.length >= 1)
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=recon-detail] [data-test=export]').click()])
  assert.match(dl.suggestedFilename(), /\.xlsx$/)
  await page.click('[data-test=recon-rerun]')
  await page.waitForFunction((n) => document.querySelectorAll('[data-test=recon-runs] .el-table__row').length > n, runs.data.items.length, { timeout: 30000 })
  assert.match(await page.locator('[data-test=recon-detail] .panel-title').first().innerText(), /复核批次/)
})

test('公示: paid persons per village, masked, printable page from the server, export', async () => {
  const village = USERS.cun01.region
  const n = await api(page, 'GET', `/notices?year=2024&village=${village}&page_size=50`)
  assert.equal(n.status, 200)
  assert.ok(n.data.total > 0, 'paid persons in the village')
  await page.goto(BASE + '/campaign/notice')
  await page.waitForSelector('[data-test=notice-table] .el-table__row')
  await settled(page)
  const body = await noRawValues(page, '公示')
  assert.doesNotMatch(body, UNMASKED_ID, 'no unmasked ID on the notice page')
  const html = await page.request.get(BASE + `/api/v1/notices?year=2024&village=${village}&format=html`)
  assert.equal(html.status(), 200)
  const text = await html.text()
  assert.match(text, /公示/)
  assert.doesNotMatch(text.replace(/<[^>]+>/g, ' '), UNMASKED_ID, 'no unmasked ID on the printable notice')
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('[data-test=notice-print]')])
  await popup.waitForLoadState()
  await popup.setViewportSize({ width: 900, height: 1200 })
  await popup.screenshot({ path: path.join(SHOTS, '18-notice-print.png') })
  await popup.close()
  await shot(page, '18-notice')
})

test('动员清单: four lists with the API totals, export', async () => {
  const region = USERS.admin.region
  await page.goto(BASE + '/campaign/lists')
  const kinds = ['unpaid', 'lapsed', 'subsidised_unenrolled', 'newborns']
  const tabs = page.locator('[data-test=list-tabs] .el-tabs__item')
  // The page is a lazily loaded route: wait for it before counting (count() does not wait).
  await page.waitForSelector('[data-test=list-tabs] .el-tabs__item')
  assert.equal(await tabs.count(), 4)
  for (let i = 0; i < kinds.length; i++) {
    const r = await api(page, 'GET', `/lists/${kinds[i]}?year=2024&village=${region}&page_size=1`)
    assert.equal(r.status, 200, kinds[i])
    await tabs.nth(i).click()
    await settled(page)
    await page.waitForFunction((t) => document.querySelector('[data-test=list-total]').textContent.trim() === String(t), r.data.total, { timeout: 20000 })
    await noRawValues(page, '动员清单 ' + kinds[i])
    if (i === 0) {
      assert.ok(r.data.total > 0, 'unpaid persons in the demo')
      const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=export]').click()])
      assert.match(dl.suggestedFilename(), /\.xlsx$/)
      await shot(page, '16-lists')
    }
  }
  await shot(page, '16-lists-newborns')
})

test('资金: fiscal split, payers, agent fees with the API figures', async () => {
  const f = await api(page, 'GET', `/funds?year=2024&under=${USERS.admin.region}`)
  assert.equal(f.status, 200)
  await page.goto(BASE + '/campaign/funds')
  await page.waitForSelector('[data-test=funds-summary]')
  await settled(page)
  const sum = await page.locator('[data-test=funds-summary]').innerText()
  assert.ok(sum.includes(grouped(f.data.insured)), 'insured persons')
  assert.ok(sum.includes(yuan(f.data.fund_total_fen)), 'fund total')
  if (f.data.subsidies.length) await page.waitForSelector('[data-test=by-payer] .el-table__row')
  if (f.data.agent_fees.length) assert.equal(await footBy(page, 'agent-fees', '代办经费（元）'), yuan(f.data.agent_fee_total_fen))
  await noRawValues(page, '资金')
  await shot(page, '20-funds')
})

test('政策: readable tables with citations, diff 贵池/晋城 (380 both), what-if', async () => {
  const list = await api(page, 'GET', '/policies')
  assert.equal(list.status, 200, 'GET /policies')
  await page.goto(BASE + '/policy/list')
  await page.waitForSelector('[data-test=policy-subsidies] .el-table__row')
  await settled(page)
  const body = await noRawValues(page, '政策文件')
  assert.match(body, /〔20\d\d〕/, 'citations with 文号')
  assert.match(await page.locator('[data-test=policy-standard]').innerText(), /\d+\.\d{2} 元/)
  await shot(page, '21-policy')
  await page.goto(BASE + '/policy/diff')
  await page.waitForSelector('[data-test=diff-table] .el-table__row')
  await settled(page)
  const std = await page.locator('[data-test=diff-table] .el-table__row', { hasText: /标准/ }).first().innerText()
  assert.equal((std.match(/380/g) || []).length >= 2, true, 'standard 380 on both sides: ' + std)
  await noRawValues(page, '政策对比')
  await shot(page, '22-policy-diff')
  await page.goto(BASE + '/policy/whatif')
  await page.waitForFunction(() => document.querySelectorAll('.el-select__selected-item:not(.is-hidden)').length >= 2)
  await page.fill('input[name=whatif-amount]', '300')
  await page.click('[data-test=whatif-run]')
  await page.waitForSelector('[data-test=whatif-summary], .el-alert--error', { timeout: 120000 })
  if (await page.locator('.el-alert--error').count()) assert.fail('what-if refused: ' + (await page.locator('.el-alert--error').innerText()))
  assert.ok((await page.locator('[data-test=whatif-payers] .el-table__row').count()) >= 1)
  await noRawValues(page, '政策测算')
  await shot(page, '23-whatif')
})

test('every main page renders without errors (screenshots)', async () => {
  const pages = [
    ['/payment/unpaid', '14-unpaid'],
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
    // no 新生儿登记 / 暂停 / 变更户 for a department user (server: no write.enroll)
    if (state.newborn) {
      await p4.goto(BASE + '/enroll/household/' + encodeURIComponent(state.newborn.household))
      await p4.waitForSelector('[data-test=household-members], [data-test=empty]')
      await p4.waitForLoadState('networkidle')
      assert.equal(await p4.locator('[data-test=newborn-open], [data-test=suspend-open], [data-test=move-open]').count(), 0)
      await p4.goto(BASE + '/enroll/person/' + state.newborn.key)
      await p4.waitForSelector('.el-descriptions, [data-test=empty]')
      await p4.waitForLoadState('networkidle')
      assert.equal(await p4.locator('[data-test=move-open], [data-test=suspend-open]').count(), 0)
    }
    await p4.goto(BASE + '/campaign/funds')
    await p4.waitForSelector('[data-test=subsidy-add]')
    await p4.click('[data-test=subsidy-add]')
    await p4.waitForSelector('[data-test=subsidy-dialog]')
    await shot(p4, '30-department-subsidy', { fullPage: false })
  } finally {
    await close(ctx4)
  }
})
