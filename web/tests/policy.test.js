import { describe, it, expect } from 'vitest'
import { policyItem, policyView, diffRows, whatIfView, sourceOf } from '../src/utils/policy'

describe('policy view (GET /policies/{id})', () => {
  it('reads the Policy struct names with *_source {cite, note}', () => {
    const v = policyView({
      id: 'guichi-2024', jurisdiction: '安徽省池州市贵池区', region: '341702', year: 2024, document: '贵医保组〔2023〕1号',
      individual_standard_fen: 38000, standard_source: { cite: '贵医保组〔2023〕1号 一', note: '' },
      fiscal_subsidy_fen: 64000, fiscal_source: { cite: '贵医保组〔2023〕1号 一', note: '' },
      fiscal_split: [{ level: 'central', name: '中央', share_text: '80%', amount_fen: 51200 }],
      agent_fee_per_person_fen: 100, agent_fee_source: { cite: 'x 四' },
      coverage_period: { first: '2024-01-01', last: '2024-12-31' }, coverage_source: { cite: 'x 二' },
      windows: [{ id: 'main', label: '集中征缴期', open: '2023-09-10', close: '2023-12-31', day_min: 1, day_max: 31, source: { cite: 'x 三', note: 'n' } }],
      subsidies: [
        { id: 'guichi.minimum_living', label: '低保对象', categories: ['minimum_living'], condition: '低保对象，户籍在本地', amount_fen: 34200, payers: [{ payer: '区财政', amount_fen: 34200 }], mode: 'paid_on_behalf', source: { cite: 'x 附件1' } },
        { id: 'guichi.other', label: '其他', kind: 'unspecified', unspecified_reason: '文件未规定金额', amount_fen: 0, payers: [], mode: 'paid_on_behalf', source: { cite: 'x 附件2' } },
      ],
    })
    expect(v.standard_fen).toBe(38000)
    expect(v.standard.cite).toBe('贵医保组〔2023〕1号 一')
    expect(v.total_per_person_fen).toBe(102000)
    expect(v.fiscal_split).toEqual([{ name: '中央', share_text: '80%', fen: 51200 }])
    expect(v.agent_fee_fen).toBe(100)
    expect(v.coverage).toMatchObject({ start: '2024-01-01', end: '2024-12-31', cite: 'x 二' })
    expect(v.windows[0]).toMatchObject({ label: '集中征缴期', days: '', cite: 'x 三', note: 'n' })
    expect(v.subsidies[0]).toMatchObject({ amount_fen: 34200, payers: [{ payer: '区财政', fen: 34200 }], mode_label: '代缴', cite: 'x 附件1', condition: '低保对象，户籍在本地' })
    expect(v.subsidies[1]).toMatchObject({ amount_fen: null, amount_text: '需本地配置' })
    expect(v.unspecified).toEqual([{ id: 'guichi.other', label: '其他', reason: '文件未规定金额', cite: 'x 附件2', note: '' }])
  })
  it('reads the short names (standard_fen, standard_cite, coverage {start, end, cite})', () => {
    const v = policyView({ id: 'j', standard_fen: 38000, standard_cite: 'c1', fiscal_fen: 64000, coverage: { start: '2024-01-01', end: '2024-12-31', cite: 'c2' }, windows: [{ label: 'w', open: '2023-09-01', close: null, day_min: 1, day_max: 20, cite: 'c3' }] })
    expect(v.standard.cite).toBe('c1')
    expect(v.coverage.cite).toBe('c2')
    expect(v.windows[0]).toMatchObject({ close: '', days: '每月1—20日', cite: 'c3' })
    expect(v.agent_fee_fen).toBeNull()
    expect(policyView(null)).toBeNull()
  })
  it('reads the server shape of routes_policy.cc (days_of_month, coverage ids, stages from/to, refund)', () => {
    const v = policyView({
      id: 'x', windows: [{ id: 'w', label: '征缴期', open: '2023-09-01', close: null, days_of_month: [1, 20], for: '所有人', coverage: 'payment_month', cite: 'c', note: null }],
      late_paths: [{ id: 'l', label: '新生儿', condition: '出生90天内', coverage: 'event_date', waiting_months: 0, accept_until: null, cite: 'c2', note: null }],
      stages: [{ id: 's', label: '数据核对', from: '2024-03-01', to: '2024-03-15', cite: 'c3' }],
      subsidies: [{ id: 'r', label: 'r', amount_fen: 100, individual_fen: 37900, payers: [{ payer: '民政局', fen: 100 }], mode: 'paid_on_behalf', as_of: '2023-09-01', cite: 'c4', note: null }],
      refund: { rule: 'not_after_coverage_start', cite: 'c5' },
    })
    expect(v.windows[0]).toMatchObject({ days: '每月1—20日', applies: '', coverage: '缴费当月起', note: '' })
    expect(v.late_paths[0].coverage).toBe('自事件发生之日（如出生之日）起')
    expect(v.stages[0]).toMatchObject({ start: '2024-03-01', end: '2024-03-15', cite: 'c3' })
    expect(v.subsidies[0]).toMatchObject({ list_as_of: '2023-09-01', individual_fen: 37900 })
    expect(v.refund.text).toBe('待遇享受期开始后不予退费')
  })
  it('list items and sources', () => {
    expect(policyItem({ id: 'guichi-2024', jurisdiction: '贵池区', year: 2024 }).label).toBe('贵池区 2024年度')
    expect(sourceOf({ cite: 'a', note: 'b' })).toEqual({ cite: 'a', note: 'b' })
    expect(sourceOf(null)).toEqual({ cite: '', note: '' })
  })
})

describe('diff and what-if', () => {
  it('diff rows', () => {
    expect(diffRows({ rows: [{ section: '个人缴费标准', left: '380.00', right: '380.00', differs: false }] })).toEqual([{ section: '个人缴费标准', left: '380.00', right: '380.00', differs: false }])
    expect(diffRows(null)).toEqual([])
  })
  it('what-if: payers array, moves labelled with the rules, individual change', () => {
    const w = whatIfView({
      persons: 10, due_changed: 2, pay_more: 2, pay_less: 0,
      base: { eligible: 10, subsidised: 2, unknown_due: 0, individual_total_fen: 300000, by_payer: { 区财政: 68400 } },
      variant: { eligible: 10, subsidised: 2, unknown_due: 0, individual_total_fen: 308400, by_payer: { 区财政: 60000 } },
      individual_change_fen: 8400,
      payers: [{ payer: '区财政', base_fen: 68400, variant_fen: 60000, change_fen: -8400 }],
      moves: [{ from: 'guichi.minimum_living', to: null, persons: 1 }],
    }, [{ id: 'guichi.minimum_living', label: '低保对象' }])
    expect(w.payers).toEqual([{ payer: '区财政', base: 68400, variant: 60000, change: -8400 }])
    expect(w.individual_change_fen).toBe(8400)
    expect(w.moves[0]).toMatchObject({ from_label: '低保对象', to_label: '无资助', persons: 1 })
  })
  it('what-if without payers[]: from by_payer maps, exact integer change', () => {
    const w = whatIfView({ base: { individual_total_fen: 1, by_payer: { A: 5 } }, variant: { individual_total_fen: 4, by_payer: { B: 7 } } })
    expect(w.payers).toEqual([{ payer: 'A', base: 5, variant: 0, change: -5 }, { payer: 'B', base: 0, variant: 7, change: 7 }])
    expect(w.individual_change_fen).toBe(3)
  })
})

describe('policy view: every part of the file (issue 12 §13)', () => {
  const server = {
    id: 'urad-front-banner-2024', standard_fen: 40000,
    eligibility: { hukou_or_residence_in: ['150823'], regardless_of_place: [], excluded: ['employee_insured'], text: '户籍或居住地在乌拉特前旗；不含：已参加职工医保人员', cite: 'e', note: 'n' },
    refund: { rule: 'not_after_coverage_start', text: '进入待遇享受期（2024-01-01起）后不予退费', cite: '乌政办发〔2023〕81号 方案 三', note: '进入待遇享受期不予退费' },
    family_account: { allowed: true, text: '可通过家庭共济账户缴费', cite: '晋市医保发〔2023〕10号 三(三)', note: null },
    remarks: [{ cite: '乌政办发〔2023〕81号 方案 五 注', note: '须先参保登记，方可自主缴费' }],
    subsidies: [
      { id: 'centenarian', label: '百岁', amount_fen: 38000, as_of: null, list_as_of: null, mode: 'paid_on_behalf', payers: [], cite: 'c' },
      { id: 'medical_assistance', label: '医疗救助', amount_fen: null, individual_fen: 40000, individual_text: '个人先缴 400.00，再补 需本地配置', mode: 'reimbursed', payers: [], cite: 'c' },
    ],
  }
  it('reads eligibility text, refund note, family account and remarks', () => {
    const v = policyView(server)
    expect(v.eligibility).toMatchObject({ text: '户籍或居住地在乌拉特前旗；不含：已参加职工医保人员', note: 'n', excluded: ['employee_insured'] })
    expect(v.refund).toMatchObject({ text: '进入待遇享受期（2024-01-01起）后不予退费', note: '进入待遇享受期不予退费' })
    expect(v.family_account).toEqual({ allowed: true, text: '可通过家庭共济账户缴费', cite: '晋市医保发〔2023〕10号 三(三)', note: '' })
    expect(v.remarks).toEqual([{ cite: '乌政办发〔2023〕81号 方案 五 注', note: '须先参保登记，方可自主缴费' }])
    expect(policyView({ ...server, registration: { before_self_payment: 'new_or_lapsed', text: '断保或新参保人员…方可进行自主缴费', cite: '五 注', note: null } }).registration).toEqual({ text: '断保或新参保人员…方可进行自主缴费', cite: '五 注', note: '' })
  })
  it('no list day where the rule reads no list; 先缴后补 text', () => {
    const v = policyView(server)
    expect(v.subsidies[0].list_as_of).toBe('')
    expect(v.subsidies[1]).toMatchObject({ individual_fen: 40000, individual_text: '个人先缴 400.00，再补 需本地配置' })
  })
  it('older servers: no family_account or remarks keys', () => {
    const v = policyView({ id: 'x' })
    expect(v.family_account).toBeNull()
    expect(v.remarks).toEqual([])
    expect(v.registration).toBeNull()
  })
})
