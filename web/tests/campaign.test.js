import { describe, it, expect } from 'vitest'
import {
  progressRow, progressView, canDrill, signed, ratePercent, trendSeries, isoWeekOf, fridayOf, reportDays, shiftWeek,
  channelSlices, payerTotals, weeklyLevels, reconRun, kindCounts, taxSide, platformSide, listRows, noticeRows,
  hasUnmaskedId, fundsView, sumInt,
} from '../src/utils/campaign'

// Shapes as written by src/campaign/*.cc to_json (progress node_json, weekly row_json, …).
const counts = (enrolled, paid, paid_fen, subsidy_fen = 0) => ({ enrolled, paid, subsidised: 0, paid_fen, paid_yuan: '', subsidy_fen, subsidy_yuan: '' })
const node = (region, name, o = {}) => ({
  ...counts(100, 80, 304000, 34200),
  region, name, kind: 'region', target: 120, rate: 80 / 120, rank: 2,
  week_ago: counts(90, 70, 266000), change: counts(10, 10, 38000), ...o,
})

describe('progress rows (GET /progress)', () => {
  it('maps counts, change since last week, rank and drill-down', () => {
    const r = progressRow(node('341702100', '梅街镇'))
    expect(r).toMatchObject({ region: '341702100', name: '梅街镇', enrolled: 100, paid: 80, paid_fen: 304000, subsidy_fen: 34200, target: 120, rank: 2, change_paid: 10, change_paid_fen: 38000, week_ago_paid: 70, hasChildren: true })
    expect(r.rate).toBeCloseTo(0.6667, 3)
  })
  it('a unit without a code (高校) or a village is not drillable; keys stay unique', () => {
    const unit = progressRow(node('341702', '高校', { kind: 'unit' }))
    const town = progressRow(node('341702', '贵池区'))
    expect(unit.hasChildren).toBe(false)
    expect(unit.key).not.toBe(town.key)
    expect(canDrill({ region: '341702100201', kind: 'region' })).toBe(false)
    expect(canDrill({ region: '341702100' })).toBe(true)
  })
  it('no target: rate null (not 0 %) and rank null', () => {
    const r = progressRow(node('341702100201', '某村', { target: null, rate: 0, rank: null }))
    expect(r.target).toBeNull()
    expect(r.rate).toBeNull()
    expect(r.rank).toBeNull()
  })
  it('reads the weekly report field names too (registered, collected_fen, paid_this_week)', () => {
    const r = progressRow({ region: '341702', name: '贵池区', registered: 5, paid: 4, collected_fen: 15200, paid_this_week: 2, paid_last_week: 2, target: 10, rate: 0.4 })
    expect(r).toMatchObject({ enrolled: 5, paid_fen: 15200, change_paid: 2, week_ago_paid: 2 })
  })
  it('view keeps the server total as the 合计 row', () => {
    const v = progressView({ as_of: '2023-11-20', items: [node('341702100', 'A'), node('341702101', 'B')], total: node('341702', '贵池区', { paid: 999 }) })
    expect(v.items).toHaveLength(2)
    expect(v.total.paid).toBe(999)
    expect(v.asOf).toBe('2023-11-20')
    expect(progressView(null)).toEqual({ items: [], total: null, asOf: '' })
  })
  it('signed and percent helpers', () => {
    expect(signed(1234)).toBe('+1,234')
    expect(signed(0)).toBe('0')
    expect(signed(-3)).toBe('-3')
    expect(signed(null)).toBe('—')
    expect(ratePercent(0.82945)).toBe(82.95)
    expect(ratePercent(null)).toBe(0)
  })
})

describe('weeks and trend', () => {
  it('ISO weeks and Fridays', () => {
    expect(isoWeekOf('2023-11-20')).toBe('2023-W47')
    expect(isoWeekOf('2024-01-01')).toBe('2024-W01')
    expect(isoWeekOf('2021-01-03')).toBe('2020-W53')
    expect(fridayOf('2023-W47')).toBe('2023-11-24')
    expect(fridayOf('2020-W53')).toBe('2021-01-01')
    expect(fridayOf('bad')).toBe('')
    expect(shiftWeek('2023-W52', 1)).toBe('2024-W01')
    expect(shiftWeek('2024-W01', -1)).toBe('2023-W52')
  })
  it('report days: every Friday from the start, the last one capped at today', () => {
    const d = reportDays('2023-09-10', '2023-11-20')
    expect(d[0]).toEqual({ week: '2023-W36', as_of: '2023-09-08' })
    expect(d[d.length - 1]).toEqual({ week: '2023-W47', as_of: '2023-11-20' })
    expect(d).toHaveLength(12)
    expect(reportDays('2023-12-01', '2023-11-01')).toEqual([])
  })
  it('trend series in week order from items or weeks', () => {
    const s = trendSeries({ items: [{ week: '2023-W47', enrolled: 9, paid: 8, paid_fen: 100 }, { week: '2023-W46', registered: 5, paid: 4, collected_fen: 50 }] })
    expect(s.map((x) => x.week)).toEqual(['2023-W46', '2023-W47'])
    expect(s[0]).toMatchObject({ enrolled: 5, paid: 4, paid_fen: 50 })
    expect(trendSeries({ weeks: [{ week: 'W1', total: { enrolled: 1, paid: 1, paid_fen: 3 } }] })[0].paid).toBe(1)
    expect(trendSeries(null)).toEqual([])
  })
})

describe('channels and payers', () => {
  it('pie slices with Chinese channel names, empty channels dropped', () => {
    const s = channelSlices({ items: [{ channel: 'wechat', count: 3, amount_fen: 11400 }, { channel: 'bank', count: 0, amount_fen: 0 }, { channel: 'village_collector', count: 7, amount_fen: 26600 }] })
    expect(s.map((x) => x.name)).toEqual(['村协理员代收', '微信'])
    expect(s[1].amount_fen).toBe(11400)
  })
  it('payer totals add modes of one payer exactly (fen)', () => {
    const t = payerTotals({ subsidies: [
      { payer: '民政局', mode: 'paid_on_behalf', persons: 2, rows: 2, amount_fen: 68400 },
      { payer: '医保局', mode: 'paid_on_behalf', persons: 1, rows: 1, amount_fen: 19000 },
      { payer: '民政局', mode: 'reimbursed', persons: 1, rows: 1, amount_fen: 38000 },
    ] })
    expect(t).toEqual([
      { payer: '民政局', amount_fen: 106400, persons: 3, rows: 3, paid_on_behalf_fen: 68400, reimbursed_fen: 38000 },
      { payer: '医保局', amount_fen: 19000, persons: 1, rows: 1, paid_on_behalf_fen: 19000, reimbursed_fen: 0 },
    ])
    expect(payerTotals({ by_payer: [{ payer: '残联', amount_fen: 5 }] })[0].amount_fen).toBe(5)
  })
})

describe('weekly report levels (GET /reports/weekly)', () => {
  const row = (name, o = {}) => ({ region: '341702100', name, parent: '贵池区', kind: 'region', target: 10, registered: 8, paid: 6, rate: 0.6, rate_text: '60.00%', paid_this_week: 2, registered_this_week: 1, paid_last_week: 4, subsidised: 1, collected_fen: 22800, collected_this_week_fen: 7600, subsidy_fen: 34200, rank: 1, ...o })
  it('one level per depth with the root total', () => {
    const lv = weeklyLevels({ week: '2023-W47', total: row('贵池区', { paid: 60 }), levels: [{ depth: 1, label: '乡镇（街道）', rows: [row('梅街镇'), row('高校', { kind: 'unit' })] }, { depth: 2, label: '村（社区）', rows: [row('某村')] }] })
    expect(lv.map((l) => [l.key, l.label, l.rows.length])).toEqual([['1', '乡镇（街道）', 2], ['2', '村（社区）', 1]])
    expect(lv[0].total.paid).toBe(60)
    expect(lv[0].rows[0]).toMatchObject({ parent: '贵池区', change_paid: 2, week_ago_paid: 4, paid_fen: 22800, enrolled: 8, rank: 1 })
  })
  it('accepts {level, label, rows, total} and a flat items list', () => {
    expect(weeklyLevels({ levels: [{ level: 'township', label: 'x', rows: [], total: row('t') }] })[0]).toMatchObject({ key: 'township', total: { name: 't' } })
    expect(weeklyLevels({ items: [row('a')] })[0].rows).toHaveLength(1)
    expect(weeklyLevels(null)).toEqual([])
  })
})

describe('reconciliation', () => {
  const item = (kind, tax, platform) => ({ kind, kind_label: '', id_number: '341702********1234', unit: '341702100201', tax, platform, action: '…' })
  const taxOnly = item('tax_only', { psn_clct_amt: '380.00', amount_fen: 38000, rows: [2], elec_taxrpt_no: ['T1'], clct_time: '2023-11-02', taxdept_code: '', unit: '341702100', unit_name: '梅街镇' }, { enrollment_id: null, place: null, status: '未参保登记', paid_on: '', individual_fen: 0, individual_yuan: '0.00', subsidy_fen: 0, external_txn: '' })
  const platOnly = item('platform_only', { psn_clct_amt: '0.00', amount_fen: 0, rows: [], elec_taxrpt_no: [], clct_time: '', unit: null, unit_name: '' }, { enrollment_id: 7, place: '341702100201', status: '已缴费', paid_on: '2023-10-01', individual_fen: 3800, subsidy_fen: 34200, external_txn: '' })
  const treasury = item('treasury_differs', { unit_name: '梅街镇', treasury_persons: 10, treasury_fen: 380000, treasury_yuan: '3800.00', tax_persons: 9, tax_fen: 342000, row: 2 }, { paid_persons: 9, amount_fen: 342000, individual_fen: 342000, subsidy_fen: 0 })
  it('run id from `run` (summary) or `id` (list), mismatch count from items', () => {
    expect(reconRun({ run: 3, items: [taxOnly] })).toMatchObject({ id: 3, mismatches: 1 })
    expect(reconRun({ id: 4, mismatches: 0 })).toMatchObject({ id: 4, mismatches: 0, problems: [] })
  })
  it('counts per kind (every known kind listed)', () => {
    const k = kindCounts({ items: [taxOnly, platOnly, platOnly] })
    expect(k.find((x) => x.kind === 'platform_only').count).toBe(2)
    expect(k.find((x) => x.kind === 'wrong_unit').count).toBe(0)
    expect(k).toHaveLength(6)
    expect(kindCounts({ by_kind: { tax_only: 5 }, items: [] }).find((x) => x.kind === 'tax_only').count).toBe(5)
  })
  it('both sides of a person mismatch', () => {
    expect(taxSide(taxOnly)).toEqual([['金额', '380.00 元'], ['缴费时间', '2023-11-02'], ['税票', 'T1'], ['征收单位', '梅街镇']])
    expect(platformSide(taxOnly)).toEqual([['状态', '未参保登记']])
    expect(taxSide(platOnly)).toEqual([])
    expect(platformSide(platOnly)).toEqual([['状态', '已缴费'], ['个人缴费', '38.00 元'], ['资助', '342.00 元'], ['缴费日期', '2023-10-01'], ['参保地', '341702100201']])
  })
  it('treasury rows compare persons and money per unit', () => {
    expect(taxSide(treasury)).toEqual([['单位', '梅街镇'], ['国库入库', '10 人 3800.00 元'], ['税务明细', '9 人 3420.00 元']])
    expect(platformSide(treasury)[0]).toEqual(['平台缴费', '9 人 3420.00 元'])
  })
})

describe('lists, notice, funds', () => {
  it('list rows from a page or the whole lists object', () => {
    const r = { village: '341702100201', village_name: '某村', id_number: '341702********1234', name: '张*', household: 'H1', birth: '1990-01-01', status: '已登记未缴费', due_fen: 38000, subsidy_fen: 0, subsidy: '', note: '' }
    expect(listRows({ items: [r] }, 'unpaid')[0].due_fen).toBe(38000)
    expect(listRows({ unpaid: [], subsidised_unenrolled: [r] }, 'subsidised_unenrolled')).toHaveLength(1)
    expect(listRows({ items: [{ ...r, due_fen: null }] }, 'unpaid')[0].due_fen).toBeNull()
  })
  it('notice rows use the individual amount', () => {
    expect(noticeRows({ items: [{ name: '张*三', id_number: '341702********1234', individual_fen: 3800, subsidy_fen: 34200, paid_on: '2023-11-02' }] })[0].amount_fen).toBe(3800)
  })
  it('detects an unmasked 18-character ID number', () => {
    expect(hasUnmaskedId('张*三 341702********1234 38.00')).toBe(false)
    expect(hasUnmaskedId('张三 34170219900101123X')).toBe(true)
    expect(hasUnmaskedId('凭证 341702-2024-00001201')).toBe(false)
  })
  it('funds view: fiscal split, payers, agent fees with exact totals', () => {
    const f = fundsView({
      insured: 2, standard_fen: 38000, fiscal_per_person_fen: 64000, total_per_person_fen: 102000,
      fiscal: [{ level: 'central', name: '中央', share: '80%', per_person_fen: 51200, total_fen: 102400 }, { level: 'province', name: '省', share: '20% × 7/10', per_person_fen: 8960, total_fen: 17920 }],
      fiscal_total_fen: 128000,
      subsidies: [{ payer: '民政局', mode: 'paid_on_behalf', mode_label: '代缴', persons: 1, rows: 1, amount_fen: 34200 }],
      individual_fen: 7600, subsidy_fen: 34200, ledger_total_fen: 41800,
      agent_fee_per_person_fen: 100, agent_fee_total_fen: 200, agent_fees: [{ village: '341702100201', name: '某村', persons: 2, fee_fen: 200 }],
      fund_total_fen: 169800,
    })
    expect(f.fiscal.map((x) => x.level)).toEqual(['中央', '省'])
    expect(f.fiscal_total_fen).toBe(128000)
    expect(f.subsidies_total).toEqual({ persons: 1, rows: 1, amount_fen: 34200 })
    expect(f.agent_persons).toBe(2)
    expect(f.fund_total_fen).toBe(169800)
    expect(fundsView(null).fiscal).toEqual([])
    expect(sumInt([{ a: 1 }, { a: null }, { a: 2 }], 'a')).toBe(3)
    expect(sumInt([], 'a')).toBeNull()
  })
})
