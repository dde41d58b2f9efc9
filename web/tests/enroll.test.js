import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { canSuspend, validateMove, householdGaps } from '../src/utils/household'
import { can } from '../src/router/menu'
import { makeIdNumber } from '../src/utils/idcard'
import { setCsrf } from '../src/api/http'
import NewbornDialog from '../src/views/enroll/NewbornDialog.vue'
import SuspendDialog from '../src/views/enroll/SuspendDialog.vue'

describe('enrollment write actions by role (server: write.enroll)', () => {
  it('admin, township and village may register newborns, suspend and move', () => {
    for (const role of ['admin', 'township', 'village'])
      for (const a of ['person.register', 'enrollment.suspend', 'person.move']) expect(can(role, a)).toBe(true)
  })
  it('department, tax, school and auditor users may not', () => {
    for (const role of ['department', 'tax', 'school', 'auditor'])
      for (const a of ['person.register', 'enrollment.suspend', 'person.move']) expect(can(role, a)).toBe(false)
  })
})

describe('canSuspend', () => {
  it('only an active enrollment (registered or paid) with an id', () => {
    expect(canSuspend({ id: 1, status: 'registered' })).toBe(true)
    expect(canSuspend({ id: 1, status: 'paid' })).toBe(true)
    expect(canSuspend({ id: 1, status: 'suspended' })).toBe(false)
    expect(canSuspend({ id: 1, status: 'cancelled' })).toBe(false)
    expect(canSuspend({ status: 'paid' })).toBe(false)
    expect(canSuspend(null)).toBe(false)
  })
})

describe('whole-household rule and suspension', () => {
  it('a suspended member is missing again, as the server counts it', () => {
    const m = (key, status) => ({ person_key: key, name: key, categories: [], enrollment: status ? { id: 1, year: 2024, status } : null })
    expect(householdGaps([m('a', 'paid'), m('b', 'suspended'), m('c', 'registered')], 2024).map((x) => x.person_key)).toEqual(['b'])
  })
})

describe('validateMove', () => {
  const opts = { current: 'H341702100201-000001', scope: '341702100' }
  it('an existing household needs only its id, not the current one', () => {
    expect(validateMove({ mode: 'existing', household: 'H341702100201-000002' }, opts)).toEqual({})
    expect(validateMove({ mode: 'existing', household: ' ' }, opts).household).toBe('请输入目标户号')
    expect(validateMove({ mode: 'existing', household: 'H341702100201-000001' }, opts).household).toBe('该人员已在此户')
    expect(validateMove({ mode: 'existing', household: 'H 1' }, opts).household).toBe('户号无效')
  })
  it('a new household (分户) needs a village inside the scope', () => {
    expect(validateMove({ mode: 'new', household: 'H341702100202-900001', region: '' }, opts).region).toMatch(/须选择/)
    expect(validateMove({ mode: 'new', household: 'H341702100202-900001', region: '341702100' }, opts).region).toMatch(/村（社区）一级/)
    expect(validateMove({ mode: 'new', household: 'H341702200202-900001', region: '341702200202' }, opts).region).toMatch(/管辖范围/)
    expect(validateMove({ mode: 'new', household: 'H341702100202-900001', region: '341702100202' }, opts)).toEqual({})
  })
})

// The dialogs against a mocked fetch: what is sent, what is shown.
function json(status, body) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}
function mountDialog(comp, props) {
  const pinia = createPinia()
  setActivePinia(pinia)
  return mount(comp, { props: { modelValue: true, ...props }, attachTo: document.body, global: { plugins: [ElementPlus, pinia] } })
}
const q = (sel) => document.body.querySelector(sel)

describe('新生儿登记 dialog', () => {
  let calls
  beforeEach(() => {
    setCsrf('tok')
    calls = []
    vi.stubGlobal('fetch', vi.fn(async (url, init) => {
      calls.push({ url, init })
      if (url.endsWith('/health')) return json(200, { ok: true, today: '2023-11-20' })
      if (url.includes('/members')) return json(422, { error: { code: 'duplicate_person', message: '该身份证号已登记' } })
      return json(404, {})
    }))
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })
  const hh = { id: 'H341702100201-000012', region: '341702100201', region_name: '一村' }

  it('prefills birth from the ID, shows the 90-day rule, refuses a bad check digit without calling the API', async () => {
    const w = mountDialog(NewbornDialog, { household: hh, year: 2024 })
    await flushPromises()
    expect(q('[data-test=newborn-rule]').textContent).toContain('出生90天内参保缴费的，自出生之日起享受医保待遇')
    const id = makeIdNumber('341702', '20231101', 5)
    const bad = id.slice(0, 17) + (id[17] === '1' ? '2' : '1')
    const input = q('input[name=newborn-id]')
    input.value = bad
    input.dispatchEvent(new Event('input'))
    await flushPromises()
    await new Promise((r) => setTimeout(r, 250)) // el-form-item shows its error debounced
    expect(input.closest('.el-form-item').classList.contains('is-error')).toBe(true)
    expect(input.closest('.el-form-item').textContent).toContain('身份证号校验位错误')
    q('[data-test=newborn-submit]').click()
    await flushPromises()
    expect(calls.some((c) => c.url.includes('/members'))).toBe(false)
    input.value = id.toLowerCase()
    input.dispatchEvent(new Event('input'))
    await flushPromises()
    expect(q('input[name=newborn-birth]').value).toBe('2023-11-01')
    expect(q('[data-test=newborn-rule]').textContent).toContain('出生第 19 天')
    expect(q('[data-test=newborn-rule]').textContent).toContain('2024-01-30')
    w.unmount()
  })

  it('sends the form and shows the server message on refusal', async () => {
    const w = mountDialog(NewbornDialog, { household: hh, year: 2024 })
    await flushPromises()
    const id = makeIdNumber('341702', '20231101', 5)
    const set = (sel, v) => {
      const el = q(sel)
      el.value = v
      el.dispatchEvent(new Event('input'))
    }
    set('input[name=newborn-id]', id)
    set('input[name=newborn-name]', '张小宝')
    await flushPromises()
    q('[data-test=newborn-submit]').click()
    await flushPromises()
    const post = calls.find((c) => c.url.includes('/members'))
    expect(post.url).toBe('/api/v1/households/H341702100201-000012/members')
    expect(JSON.parse(post.init.body)).toEqual({ id_number: id, name: '张小宝', year: 2024, birth: '2023-11-01' })
    expect(post.init.headers['X-CSRF-Token']).toBe('tok')
    expect(q('[data-test=newborn-error]').textContent).toContain('该身份证号已登记')
    expect(w.emitted('done')).toBeUndefined()
    w.unmount()
  })
})

describe('参保暂停 dialog', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })
  it('needs a reason; success emits the suspended enrollment', async () => {
    const calls = []
    vi.stubGlobal('fetch', vi.fn(async (url, init) => {
      calls.push({ url, init })
      if (url.endsWith('/health')) return json(200, { today: '2023-11-20' })
      return json(200, { enrollment: { id: 17, status: 'suspended', status_label: '参保暂停', ended_on: '2023-11-20' } })
    }))
    const w = mountDialog(SuspendDialog, { person: { name: '张*', id_number: '341702********1234' }, enrollment: { id: 17, year: 2024, status: 'paid', status_label: '已缴费' } })
    await flushPromises()
    expect(q('[data-test=suspend-confirm]').disabled).toBe(true)
    w.vm.$.setupState.reason = '迁往外省（市）参保'
    await flushPromises()
    q('[data-test=suspend-confirm]').click()
    await flushPromises()
    const post = calls.find((c) => c.url.includes('/suspend'))
    expect(post.url).toBe('/api/v1/enrollments/17/suspend')
    expect(JSON.parse(post.init.body)).toEqual({ reason: '迁往外省（市）参保' })
    expect(w.emitted('done')[0][0].status).toBe('suspended')
    w.unmount()
  })
})
