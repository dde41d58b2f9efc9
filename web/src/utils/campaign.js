// Mapping of the campaign API (src/campaign/*.cc to_json, docs/api.md) to the rows the pages show.
// Every function is pure and tolerant of the field names the server used at one time or another
// (registered/enrolled, collected_fen/paid_fen …) so a page never shows undefined or NaN.
// Money stays integer fen; sums of fen are integer additions.

import { CHANNELS } from './dict'

const num = (v) => (v === null || v === undefined || v === '' || Number.isNaN(Number(v)) ? null : Number(v))
const first = (...vs) => {
  for (const v of vs) if (v !== undefined && v !== null) return v
  return null
}

/** Sum of integer fen/counts of `rows[key]` (nulls skipped); null when every value is null. */
export function sumInt(rows, key) {
  let s = null
  for (const r of rows || []) {
    const v = typeof key === 'function' ? key(r) : r && r[key]
    if (Number.isInteger(v)) s = (s ?? 0) + v
  }
  return s
}

// ---------------------------------------------------------------- progress (GET /progress)

/** Unique key of a progress node: units without a code carry their parent's code. */
export function progressKey(n) {
  return `${n.region || ''}|${n.kind || 'region'}|${n.name || ''}`
}

/** May the user open the next level below this row? (regions above village level only) */
export function canDrill(n) {
  return !!n && !!n.region && (n.kind === undefined || n.kind === null || n.kind === 'region') && String(n.region).length < 12
}

/** A node of GET /progress (`items[]`, `total`, nested `children`) as a table row. */
export function progressRow(n) {
  if (!n) return null
  const change = n.change || {}
  const ago = n.week_ago || {}
  const row = {
    key: progressKey(n),
    region: n.region || '',
    name: n.name || n.region || '',
    kind: n.kind || 'region',
    target: num(n.target),
    enrolled: first(n.enrolled, n.registered),
    paid: num(n.paid),
    subsidised: first(n.subsidised),
    paid_fen: first(n.paid_fen, n.collected_fen),
    subsidy_fen: first(n.subsidy_fen),
    rate: n.target ? num(n.rate) : null,
    rank: num(n.rank),
    change_paid: first(change.paid, n.paid_this_week),
    change_enrolled: first(change.enrolled, change.registered, n.registered_this_week),
    change_paid_fen: first(change.paid_fen, change.collected_fen, n.collected_this_week_fen),
    week_ago_paid: first(ago.paid, n.paid_last_week),
  }
  row.hasChildren = canDrill(row)
  if (Array.isArray(n.children)) row.children = n.children.map(progressRow)
  return row
}

/** {items, total} of GET /progress as rows + total row. */
export function progressView(d) {
  return {
    items: ((d && d.items) || []).map(progressRow),
    total: d && d.total ? progressRow(d.total) : null,
    asOf: (d && d.as_of) || '',
  }
}

/** Completion rate in percent for a chart (two decimals), 0 without a target. */
export function ratePercent(rate) {
  const r = num(rate)
  return r === null ? 0 : Math.round(r * 10000) / 100
}

/** "+12" / "0" / "-3" for a change column; "—" when unknown. */
export function signed(n) {
  if (!Number.isInteger(n)) return '—'
  return n > 0 ? '+' + n.toLocaleString('en-US') : n.toLocaleString('en-US')
}

// ---------------------------------------------------------------- trend (GET /progress/weekly)

/** Points of the weekly trend: [{week, as_of, enrolled, paid, paid_fen}] in week order. */
export function trendSeries(d) {
  const list = Array.isArray(d) ? d : (d && (d.items || d.weeks || d.series || d.points)) || []
  return list
    .map((w) => ({
      week: w.week || w.label || w.as_of || '',
      as_of: w.as_of || w.friday || '',
      enrolled: num(first(w.enrolled, w.registered, w.total && w.total.enrolled)),
      paid: num(first(w.paid, w.total && w.total.paid)),
      paid_fen: first(w.paid_fen, w.collected_fen, w.total && w.total.paid_fen),
    }))
    .filter((w) => w.week)
    .sort((a, b) => (a.week < b.week ? -1 : a.week > b.week ? 1 : 0))
}

function ymd(dt) {
  return `${dt.getUTCFullYear()}-${String(dt.getUTCMonth() + 1).padStart(2, '0')}-${String(dt.getUTCDate()).padStart(2, '0')}`
}
function parseYmd(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s || '')
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : null
}

/** ISO week "2023-W47" of a "YYYY-MM-DD" day (UTC arithmetic, no time zone drift). */
export function isoWeekOf(day) {
  const d = parseYmd(day)
  if (!d) return ''
  const dow = d.getUTCDay() || 7
  d.setUTCDate(d.getUTCDate() + 4 - dow)
  const y0 = new Date(Date.UTC(d.getUTCFullYear(), 0, 1))
  const wk = Math.ceil(((d - y0) / 86400000 + 1) / 7)
  return `${d.getUTCFullYear()}-W${String(wk).padStart(2, '0')}`
}

/** Friday ("YYYY-MM-DD") of an ISO week "2023-W47"; '' when malformed. */
export function fridayOf(week) {
  const m = /^(\d{4})-W(\d{2})$/.exec(week || '')
  if (!m) return ''
  const jan4 = new Date(Date.UTC(+m[1], 0, 4))
  const mon1 = new Date(jan4)
  mon1.setUTCDate(jan4.getUTCDate() - ((jan4.getUTCDay() || 7) - 1))
  mon1.setUTCDate(mon1.getUTCDate() + (+m[2] - 1) * 7 + 4)
  return ymd(mon1)
}

/** Report days for a trend without /progress/weekly: each week's Friday from `from` to `today`
 *  (the last one = today), at most `max` weeks back. */
export function reportDays(from, today, max = 16) {
  const end = parseYmd(today)
  const start = parseYmd(from)
  if (!end || !start || start > end) return []
  const out = []
  let w = isoWeekOf(ymd(start))
  for (let i = 0; i < 60; i++) {
    const fri = fridayOf(w)
    if (!fri) break
    const asOf = fri > today ? today : fri
    out.push({ week: w, as_of: asOf })
    if (fri >= today) break
    const next = parseYmd(fri)
    next.setUTCDate(next.getUTCDate() + 7)
    w = isoWeekOf(ymd(next))
  }
  return out.slice(-max)
}

/** Previous / next ISO week of "2023-W47". */
export function shiftWeek(week, by) {
  const f = parseYmd(fridayOf(week))
  if (!f) return week
  f.setUTCDate(f.getUTCDate() + 7 * by)
  return isoWeekOf(ymd(f))
}

// ---------------------------------------------------------------- channels (GET /progress/channels)

/** Pie slices: [{channel, name, value (payments), amount_fen}] with count > 0, largest first. */
export function channelSlices(d) {
  const list = Array.isArray(d) ? d : (d && (d.items || d.channels)) || []
  return list
    .map((c) => ({
      channel: c.channel,
      name: CHANNELS[c.channel] || c.channel_label || c.label || c.channel || '其他',
      value: num(first(c.count, c.payments, c.persons, c.rows)) ?? 0,
      amount_fen: first(c.amount_fen, c.net_fen),
    }))
    .filter((c) => c.value > 0)
    .sort((a, b) => b.value - a.value)
}

// ---------------------------------------------------------------- subsidies by payer

/** Department subsidy totals per payer (modes added together), largest first:
 *  [{payer, amount_fen, persons, paid_on_behalf_fen, reimbursed_fen}]. Accepts
 *  GET /funds/subsidies ({by_payer} or {items}) and GET /funds ({subsidies}). */
export function payerTotals(d) {
  const list = Array.isArray(d) ? d : (d && (d.by_payer || d.items || d.subsidies || d.payers)) || []
  const by = new Map()
  for (const x of list) {
    const payer = x.payer || x.payer_name || x.department || '未注明'
    const amount = first(x.amount_fen, x.fen, x.total_fen) ?? 0
    const cur = by.get(payer) || { payer, amount_fen: 0, persons: 0, rows: 0, paid_on_behalf_fen: 0, reimbursed_fen: 0 }
    cur.amount_fen += amount
    cur.persons += num(x.persons) ?? 0
    cur.rows += num(x.rows) ?? 0
    if (x.mode === 'reimbursed') cur.reimbursed_fen += amount
    else if (x.mode === 'paid_on_behalf') cur.paid_on_behalf_fen += amount
    else {
      cur.paid_on_behalf_fen += first(x.paid_on_behalf_fen) ?? 0
      cur.reimbursed_fen += first(x.reimbursed_fen) ?? 0
    }
    by.set(payer, cur)
  }
  return [...by.values()].sort((a, b) => b.amount_fen - a.amount_fen)
}

// ---------------------------------------------------------------- weekly report (GET /reports/weekly)

export function weeklyRow(r) {
  const p = progressRow(r)
  return {
    ...p,
    parent: r.parent || '',
    rate_text: r.rate_text || '',
    subsidised: first(r.subsidised),
  }
}

/** Levels of the weekly report: [{key, label, rows, total}] (county / township / village). */
export function weeklyLevels(d) {
  if (!d) return []
  const total = d.total ? weeklyRow(d.total) : null
  if (Array.isArray(d.levels) && d.levels.length) {
    return d.levels.map((lv, i) => ({
      key: String(first(lv.depth, lv.level, i + 1)),
      label: lv.label || lv.name || `第${i + 1}级`,
      rows: (lv.rows || lv.items || []).map(weeklyRow),
      total: lv.total ? weeklyRow(lv.total) : total,
    }))
  }
  if (Array.isArray(d.items)) return [{ key: '1', label: '下级单位', rows: d.items.map(weeklyRow), total }]
  return []
}

// ---------------------------------------------------------------- reconciliation

export const MISMATCH = {
  tax_only: { label: '税务有缴费、平台未参保或未缴费', short: '税务有、平台无', type: 'danger' },
  platform_only: { label: '平台已缴费、税务无缴费记录', short: '平台有、税务无', type: 'danger' },
  amount_differs: { label: '缴费金额不一致', short: '金额不一致', type: 'warning' },
  wrong_unit: { label: '缴费单位（参保地）不一致', short: '单位不一致', type: 'warning' },
  tax_duplicate: { label: '税务重复缴费', short: '税务重复缴费', type: 'warning' },
  treasury_differs: { label: '国库入库人数或金额与平台不一致', short: '国库入库不一致', type: 'danger' },
}

/** A run of GET /reconciliations (list item, POST answer or detail) with a stable `id`. */
export function reconRun(r) {
  if (!r) return null
  const byKind = r.by_kind || {}
  return {
    ...r,
    id: first(r.id, r.run, r.run_id),
    mismatches: num(first(r.mismatches, Array.isArray(r.items) ? r.items.length : null)),
    by_kind: byKind,
    inputs_from: first(r.inputs_from),
    problems: r.problems || [],
  }
}

/** Counts per mismatch kind for the filter buttons (every known kind, then unknown ones). */
export function kindCounts(run) {
  const out = []
  const items = (run && run.items) || []
  const by = (run && run.by_kind) || {}
  const kinds = [...Object.keys(MISMATCH), ...new Set(items.map((i) => i.kind).filter((k) => !MISMATCH[k]))]
  for (const k of kinds) {
    const n = items.length ? items.filter((i) => i.kind === k).length : num(by[k]) ?? 0
    out.push({ kind: k, label: (MISMATCH[k] && MISMATCH[k].short) || k, count: n })
  }
  return out
}

const yuanOf = (fen, yuanText) => (Number.isInteger(fen) ? fenYuan(fen) : yuanText || null)
function fenYuan(fen) {
  const neg = fen < 0
  const a = Math.abs(fen)
  return (neg ? '-' : '') + Math.trunc(a / 100) + '.' + String(a % 100).padStart(2, '0')
}

/** The tax-bureau (or treasury) side of a mismatch as short labelled parts. */
export function taxSide(item) {
  const t = (item && item.tax) || {}
  const parts = []
  if (item && item.kind === 'treasury_differs') {
    if (t.unit_name) parts.push(['单位', t.unit_name])
    if (t.treasury_persons !== undefined) parts.push(['国库入库', `${t.treasury_persons} 人 ${yuanOf(t.treasury_fen, t.treasury_yuan)} 元`])
    if (t.tax_persons !== undefined) parts.push(['税务明细', `${t.tax_persons} 人 ${yuanOf(t.tax_fen, t.tax_yuan)} 元`])
    return parts
  }
  const txns = Array.isArray(t.elec_taxrpt_no) ? t.elec_taxrpt_no : t.elec_taxrpt_no ? [t.elec_taxrpt_no] : []
  const rows = Array.isArray(t.rows) ? t.rows.length : 0
  if (!rows && !txns.length && !t.amount_fen) return parts // no tax record for this person
  const amount = yuanOf(first(t.amount_fen), t.psn_clct_amt)
  if (amount) parts.push(['金额', amount + ' 元'])
  if (t.clct_time) parts.push(['缴费时间', t.clct_time])
  if (txns.length) parts.push(['税票', txns.join('、')])
  if (t.unit_name || t.unit) parts.push(['征收单位', t.unit_name || t.unit])
  if (Array.isArray(t.rows) && t.rows.length > 1) parts.push(['笔数', String(t.rows.length)])
  return parts
}

/** The platform side (enrollment and ledger) of a mismatch as short labelled parts. */
export function platformSide(item) {
  const p = (item && (item.platform || item.ledger)) || {}
  const parts = []
  if (item && item.kind === 'treasury_differs') {
    if (p.paid_persons !== undefined) parts.push(['平台缴费', `${p.paid_persons} 人 ${yuanOf(p.amount_fen, p.amount_yuan)} 元`])
    if (Number.isInteger(p.individual_fen)) parts.push(['个人', fenYuan(p.individual_fen) + ' 元'])
    if (Number.isInteger(p.subsidy_fen) && p.subsidy_fen) parts.push(['资助', fenYuan(p.subsidy_fen) + ' 元'])
    return parts
  }
  if (p.status) parts.push(['状态', p.status])
  if (Number.isInteger(p.individual_fen) && (p.individual_fen || p.status === '已缴费')) parts.push(['个人缴费', fenYuan(p.individual_fen) + ' 元'])
  if (Number.isInteger(p.subsidy_fen) && p.subsidy_fen) parts.push(['资助', fenYuan(p.subsidy_fen) + ' 元'])
  if (p.paid_on) parts.push(['缴费日期', p.paid_on])
  if (p.place) parts.push(['参保地', p.place])
  if (p.external_txn) parts.push(['税票', p.external_txn])
  return parts
}

// ---------------------------------------------------------------- lists and notice

export const LIST_KINDS = {
  unpaid: { title: '未缴费', hint: '已登记未缴费及符合条件未登记的人员、应缴金额' },
  lapsed: { title: '往年参保本年未参', hint: '上年度已缴费、本年度尚未参保的人员' },
  subsidised_unenrolled: { title: '资助对象未参保', hint: '资助对象应保尽保：有资助、尚未缴费的人员' },
  newborns: { title: '新生儿未登记', hint: '出生一年内未登记的新生儿（出生90天内参保缴费自出生之日起享受待遇）' },
}

/** Rows of GET /lists/{kind}: `items` (paginated) or the whole lists object keyed by kind. */
export function listRows(d, kind) {
  if (!d) return []
  const list = Array.isArray(d) ? d : d.items || d[kind] || (kind === 'subsidised_unenrolled' ? d.subsidised_not_enrolled : null) || []
  return list.map((r) => ({
    ...r,
    due_fen: first(r.due_fen, r.individual_due_fen),
    village_name: r.village_name || r.region_name || '',
  }))
}

/** Rows of GET /notices: masked name/ID, individual amount, paid date. */
export function noticeRows(d) {
  const list = (d && (d.items || d.rows)) || []
  return list.map((r) => ({
    ...r,
    amount_fen: first(r.individual_fen, r.amount_fen),
    village_name: r.village_name || r.region_name || '',
  }))
}

/** True when a text holds an 18-character ID number that is not masked. */
export function hasUnmaskedId(text) {
  return /(^|[^\d*])\d{17}[\dXx](?![\d*])/.test(text || '')
}

// ---------------------------------------------------------------- funds (GET /funds)

export function fundsView(d) {
  d = d || {}
  const fiscal = (d.fiscal || d.fiscal_split || []).map((x) => ({
    level: x.name || x.level_label || x.level || '',
    share: x.share || x.share_text || '',
    per_person_fen: first(x.per_person_fen, x.fen),
    total_fen: first(x.total_fen, x.amount_fen),
  }))
  const subsidies = (d.subsidies || d.by_payer || []).map((x) => ({
    payer: x.payer,
    mode: x.mode || '',
    mode_label: x.mode_label || (x.mode === 'reimbursed' ? '先缴后补' : x.mode === 'paid_on_behalf' ? '代缴' : ''),
    persons: num(x.persons),
    rows: num(x.rows),
    amount_fen: first(x.amount_fen),
  }))
  const agent = (d.agent_fees || []).map((x) => ({
    village: x.village || x.region || '',
    name: x.name || x.village || '',
    persons: num(first(x.persons, x.enrolled)),
    fee_fen: first(x.fee_fen, x.amount_fen),
  }))
  return {
    year: d.year,
    policy: d.policy || '',
    document: d.document || '',
    insured: num(d.insured),
    standard_fen: first(d.standard_fen),
    fiscal_per_person_fen: first(d.fiscal_per_person_fen),
    total_per_person_fen: first(d.total_per_person_fen),
    fiscal,
    fiscal_total_fen: first(d.fiscal_total_fen, sumInt(fiscal, 'total_fen')),
    subsidies,
    subsidies_total: { persons: sumInt(subsidies, 'persons'), rows: sumInt(subsidies, 'rows'), amount_fen: first(d.subsidy_fen, sumInt(subsidies, 'amount_fen')) },
    individual_fen: first(d.individual_fen),
    subsidy_fen: first(d.subsidy_fen),
    ledger_total_fen: first(d.ledger_total_fen),
    agent_fee_per_person_fen: first(d.agent_fee_per_person_fen),
    agent_fee_total_fen: first(d.agent_fee_total_fen, sumInt(agent, 'fee_fen')),
    agent_fees: agent,
    agent_persons: sumInt(agent, 'persons'),
    fund_total_fen: first(d.fund_total_fen),
  }
}

/** Readable error text for a failed call: the API's Chinese message, else a generic line. */
export function errorText(e) {
  if (!e) return ''
  return e.message || '请求失败'
}
