import { describe, it, expect, vi, beforeEach } from 'vitest'
import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { householdGaps } from '../src/utils/household'
import { templateCsv, problemsCsv, csvCell } from '../src/utils/templates'
import { payErrorMessage } from '../src/utils/errors'
import { isoWeek } from '../src/utils/week'
import { request, setCsrf, ApiError, query } from '../src/api/http'
import { useAuthStore } from '../src/stores/auth'
import MaskedId from '../src/components/MaskedId.vue'
import Money from '../src/components/Money.vue'

describe('whole-household rule', () => {
  const m = (key, status, cats = []) => ({ person_key: key, name: key, categories: cats, enrollment: status ? { year: 2024, status } : null })
  it('lists members not enrolled who are not exempt', () => {
    const gaps = householdGaps([m('a', 'paid'), m('b', null), m('c', null, ['employee_insured']), m('d', 'registered'), m('e', null, ['university_student'])], 2024)
    expect(gaps.map((x) => x.person_key)).toEqual(['b'])
  })
  it('a household with nobody enrolled lacks every non-exempt member', () => {
    expect(householdGaps([m('a', null), m('b', null)], 2024)).toHaveLength(2)
  })
  it('a complete household has no gaps', () => {
    expect(householdGaps([m('a', 'paid'), m('b', 'registered')], 2024)).toEqual([])
  })
})

describe('import templates and error reports', () => {
  it('roster template has the Chinese headers of DESIGN §5 and a BOM', () => {
    const t = templateCsv('roster')
    expect(t.startsWith('\uFEFF身份证号,姓名,户号,户籍地区划')).toBe(true)
  })
  it('tax template names elec_taxrpt_no', () => {
    expect(templateCsv('payments')).toContain('电子税票号码')
  })
  it('quotes CSV cells', () => {
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(problemsCsv([{ row: 17, column: '身份证号', value: 'x', reason: '校验位错误' }])).toContain('17,身份证号,x,校验位错误')
  })
})

describe('payment error messages', () => {
  it('uses details for exact figures', () => {
    expect(payErrorMessage({ code: 'wrong_amount', message: 'x', details: { expected_fen: 3800 } })).toBe('缴费金额不符：应缴 38.00 元')
    expect(payErrorMessage({ code: 'day_not_allowed', details: { allowed_days: [1, 25] } })).toBe('每月仅 1–25 日可缴费')
    expect(payErrorMessage({ code: 'already_paid', details: { receipt_no: '341702-2024-00000001' } })).toContain('341702-2024-00000001')
    expect(payErrorMessage({ code: 'other', message: '服务器说的' })).toBe('服务器说的')
  })
  it('iso weeks', () => {
    expect(isoWeek(new Date(2023, 10, 20))).toBe('2023-W47')
    expect(isoWeek(new Date(2024, 0, 1))).toBe('2024-W01')
  })
})

describe('http', () => {
  beforeEach(() => setCsrf(''))
  it('builds queries without empty values', () => {
    expect(query({ a: 1, b: '', c: null, d: 'x y' })).toBe('?a=1&d=x+y')
  })
  it('sends the CSRF token on writes and parses API errors', async () => {
    setCsrf('tok')
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ error: { code: 'wrong_amount', message: '缴费金额与应缴金额不符', field: 'amount_fen', details: { expected_fen: 3800 } } }), { status: 422, headers: { 'Content-Type': 'application/json' } }))
    vi.stubGlobal('fetch', fetchMock)
    const err = await request('POST', '/payments', { body: { a: 1 } }).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.code).toBe('wrong_amount')
    expect(err.field).toBe('amount_fen')
    expect(err.details.expected_fen).toBe(3800)
    expect(fetchMock.mock.calls[0][1].headers['X-CSRF-Token']).toBe('tok')
    vi.unstubAllGlobals()
  })
  it('does not send CSRF on GET and handles network failure', async () => {
    setCsrf('tok')
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('net') }))
    const err = await request('GET', '/x').catch((e) => e)
    expect(err.status).toBe(0)
    expect(err.message).toContain('无法连接服务器')
    vi.unstubAllGlobals()
  })
})

describe('auth store', () => {
  beforeEach(() => setActivePinia(createPinia()))
  it('keeps the region selector inside the user scope', () => {
    const s = useAuthStore()
    s.setSession({ user: { username: 'cun01', role: 'village', region: '341702100201', region_name: '一村' }, csrf_token: 't' })
    expect(s.region).toBe('341702100201')
    expect(s.selectRegion('341702100202', '二村')).toBe(false)
    expect(s.region).toBe('341702100201')
    expect(s.selectRegion('341702100201', '一村')).toBe(true)
    expect(s.menu.map((m) => m.title)).not.toContain('系统管理')
    expect(s.can('person.unmask')).toBe(true)
  })
})

describe('components', () => {
  it('MaskedId masks by default and offers unmask only with a key and the right role', () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    const s = useAuthStore()
    s.setSession({ user: { username: 'a', role: 'village', region: '341702' }, csrf_token: '' })
    const w = mount(MaskedId, { props: { value: '341702198601308585', personKey: 'p_1' }, global: { plugins: [ElementPlus, pinia] } })
    expect(w.find('[data-test="id-number"]').text()).toBe('341702********8585')
    expect(w.find('[data-test="unmask"]').exists()).toBe(true)
    s.setSession({ user: { username: 'b', role: 'department', region: '341702' }, csrf_token: '' })
    const w2 = mount(MaskedId, { props: { value: '341702198601308585', personKey: 'p_1' }, global: { plugins: [ElementPlus, pinia] } })
    expect(w2.find('[data-test="unmask"]').exists()).toBe(false)
  })
  it('Money renders fen as yuan', () => {
    const w = mount(Money, { props: { fen: 14820000, unit: true } })
    expect(w.text()).toBe('148,200.00 元')
  })
})

import { childRegions } from '../src/utils/regions'
describe('region tree', () => {
  it('keeps only direct children when the server answers the whole subtree', () => {
    const items = [
      { code: '341702', name: '贵池区' },
      { code: '341702001', name: '池阳街道' },
      { code: '341702001001', name: '池阳街道1社区' },
      { code: '341702002', name: '秋浦街道' },
    ]
    expect(childRegions(items, '341702').map((r) => r.name)).toEqual(['池阳街道', '秋浦街道'])
    expect(childRegions(items, '341702001').map((r) => r.name)).toEqual(['池阳街道1社区'])
    expect(childRegions(items, '341702001001')).toEqual([])
  })
})

import { filenameFrom, isSpreadsheet } from '../src/utils/download'
describe('downloads', () => {
  it('reads Chinese file names from Content-Disposition', () => {
    expect(filenameFrom("attachment; filename=\"weekly.xlsx\"; filename*=UTF-8''%E5%91%A8%E6%8A%A5.xlsx", 'x')).toBe('周报.xlsx')
    expect(filenameFrom('attachment; filename="notice.xlsx"', 'x')).toBe('notice.xlsx')
    expect(filenameFrom(null, '导出.xlsx')).toBe('导出.xlsx')
  })
  it('recognises spreadsheets', () => {
    expect(isSpreadsheet('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')).toBe(true)
    expect(isSpreadsheet('application/json')).toBe(false)
  })
})
