import { describe, it, expect } from 'vitest'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia } from 'pinia'
import { splitCite, ruleGroup, outcomeKind, traceRows, decisiveRows, amountsIn } from '../src/utils/trace'
import TraceView from '../src/components/TraceView.vue'
import AssessmentPanel from '../src/components/AssessmentPanel.vue'

// A real trace from `canbao assess` on the 贵池 policy.
const TRACE = [
  { rule: 'eligibility', cite: '贵医保组〔2023〕1号 附件1 二', outcome: '符合参保条件：户籍341702201001在本统筹区' },
  { rule: 'standard', cite: '贵医保组〔2023〕1号 附件1 三', outcome: '个人缴费标准380.00元' },
  { rule: 'subsidy.extreme_poverty', cite: '贵医保组〔2023〕1号 附件1 三.1', outcome: '不适用：不属于特困人员' },
  { rule: 'subsidy.minimum_living_veteran', cite: '贵医保组〔2023〕1号 附件1 三.2', outcome: '资助342.00元（区财政，代缴）' },
  { rule: 'window.general', cite: '贵医保组〔2023〕1号 附件1 五', outcome: '集中参保登记缴费期：2023-09-10至2023-12-31' },
  { rule: 'unspecified.veteran', cite: '晋市医保发〔2023〕10号 四.5', outcome: '继续执行原有政策：需本地配置' },
]

describe('trace helpers', () => {
  it('splits a cite into 文号 and section', () => {
    expect(splitCite('贵医保组〔2023〕1号 附件1 三.1')).toEqual({ doc: '贵医保组〔2023〕1号', section: '附件1 三.1' })
    expect(splitCite('肖岭乡通知（2023年10月12日） 二(二)、五(四)')).toEqual({ doc: '肖岭乡通知（2023年10月12日）', section: '二(二)、五(四)' })
    expect(splitCite('城政字〔2024〕21号')).toEqual({ doc: '城政字〔2024〕21号', section: '' })
    expect(splitCite(null)).toEqual({ doc: '', section: '' })
  })
  it('groups rules', () => {
    expect(ruleGroup('subsidy.aged_80')).toBe('资助参保')
    expect(ruleGroup('window.migrant_extension')).toBe('缴费期')
    expect(ruleGroup('eligibility')).toBe('参保资格')
    expect(ruleGroup('xyz')).toBe('其他')
  })
  it('classifies outcomes', () => {
    expect(outcomeKind('不适用：不属于特困人员')).toBe('skipped')
    expect(outcomeKind('资助342.00元')).toBe('applied')
    expect(outcomeKind('继续执行原有政策：需本地配置')).toBe('open')
    expect(outcomeKind('不符合：已参加职工医保，不能同时参加居民医保')).toBe('refused')
    expect(outcomeKind('符合但未采用：342.00元低于“特困”的380.00元（就高不就低，不重复资助）')).toBe('beaten')
    expect(outcomeKind('符合但不适用：由例外规则“脱贫+低保”取代')).toBe('beaten')
    expect(outcomeKind('冲突：与“X”同额200.00元、资助部门不同且无先后顺序，需政策明确')).toBe('conflict')
    expect(outcomeKind('未缴费：按征缴期内缴费预计，待遇享受期2024-01-01至2024-12-31')).toBe('projected')
    expect(outcomeKind('缴费日2024-03-01不在本人适用的征缴期内，也不符合新生儿、退役等特殊参保情形')).toBe('refused')
    expect(outcomeKind('进入待遇享受期（2024-01-01起）不予退费')).toBe('applied')
  })
  it('finds amounts', () => {
    expect(amountsIn('个人缴费标准380.00元，资助 342 元')).toEqual(['380.00', '342'])
  })
  it('builds readable rows and drops 不适用 in the compact view', () => {
    const rows = traceRows(TRACE)
    expect(rows).toHaveLength(6)
    expect(rows[3]).toMatchObject({ index: 4, group: '资助参保', doc: '贵医保组〔2023〕1号', section: '附件1 三.2', kind: 'applied', amounts: ['342.00'] })
    expect(decisiveRows(TRACE).map((r) => r.rule)).not.toContain('subsidy.extreme_poverty')
    expect(traceRows(null)).toEqual([])
  })
})

describe('TraceView component', () => {
  const mountIt = (props) => mount(TraceView, { props, global: { plugins: [ElementPlus, createPinia()] } })
  it('renders rule, 文号 and section, hiding 不适用 by default', () => {
    const w = mountIt({ trace: TRACE })
    const text = w.text()
    expect(text).toContain('个人缴费标准380.00元')
    expect(text).toContain('贵医保组〔2023〕1号')
    expect(text).toContain('附件1 三.2')
    expect(text).toContain('资助342.00元（区财政，代缴）')
    expect(text).not.toContain('不属于特困人员')
  })
  it('shows an empty state without a trace', () => {
    const w = mountIt({ trace: [] })
    expect(w.text()).toContain('暂无核定依据')
  })
})

describe('AssessmentPanel component', () => {
  it('shows amounts from fen and the subsidy lines', () => {
    const a = {
      eligible: true, reason: null, policy: 'guichi-2024', standard_fen: 38000, subsidy_fen: 34200, individual_due_fen: 3800,
      subsidies: [{ rule: 'guichi.minimum_living', category: 'minimum_living', payer: '区财政', fen: 34200, mode: 'paid_on_behalf' }],
      window_open: '2023-09-10', window_close: '2023-12-31', payment_status: 'accepted', coverage_start: '2024-01-01', coverage_end: '2024-12-31', waiting_until: null, trace: TRACE,
    }
    const w = mount(AssessmentPanel, { props: { a }, global: { plugins: [ElementPlus, createPinia()] } })
    const t = w.text()
    expect(t).toContain('380.00 元')
    expect(t).toContain('342.00 元')
    expect(w.find('[data-test="due"]').text()).toContain('38.00 元')
    expect(t).toContain('低保对象')
    expect(t).toContain('区财政')
    expect(t).toContain('代缴')
  })
  it('explains an ineligible person', () => {
    const w = mount(AssessmentPanel, { props: { a: { eligible: false, reason: '已参加职工医保', trace: [] } }, global: { plugins: [ElementPlus, createPinia()] } })
    expect(w.text()).toContain('不符合参保条件：已参加职工医保')
  })
  it('shows 暂无 when there is nothing', () => {
    const w = mount(AssessmentPanel, { props: { a: null }, global: { plugins: [ElementPlus, createPinia()] } })
    expect(w.text()).toContain('暂无核定结果')
  })
})
