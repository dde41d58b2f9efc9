// The staff lists on a phone (issue 14): RowCards renders one card per row from a page's spec, and
// a list page switches between its table and the cards at 600 px.
import { describe, it, expect, afterEach, vi } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import * as Icons from '@element-plus/icons-vue'
import { createPinia, setActivePinia } from 'pinia'
import { createRouter, createMemoryHistory } from 'vue-router'
import RowCards from '../src/components/RowCards.vue'
import PaymentTable from '../src/views/payment/PaymentTable.vue'
import { useAuthStore } from '../src/stores/auth'

const ROWS = [
  { id: 1, name: '张*三', receipt_no: 'R1', kind: 'payment', amount_fen: 38000, paid_on: '2023-11-20', channel: 'village_collector', id_number: '341702********1234', collector: 'cun01' },
  { id: 2, name: '李*四', receipt_no: '', kind: 'subsidy', amount_fen: 20000, paid_on: '2023-11-20', channel: 'village_collector', id_number: '341702********5678', collector: '' },
]

describe('RowCards', () => {
  it('a card per row: title, tags, non-empty fields, actions as buttons, selection', async () => {
    const clicked = []
    const spec = {
      key: (r) => r.id,
      title: (r) => r.name,
      tags: (r) => [{ text: r.kind === 'payment' ? '缴费' : '资助', type: 'success' }, null],
      fields: (r) => [
        { label: '凭证号', text: r.receipt_no },
        { label: '经办人', text: r.collector },
      ],
      actions: (r) => [r.receipt_no && { label: '凭证', onClick: (row) => clicked.push(row.id), test: 'card-receipt' }],
      selectable: (r) => r.kind === 'payment',
    }
    const w = mount(RowCards, { props: { items: ROWS, spec, selected: [] }, global: { plugins: [ElementPlus] } })
    const cards = w.findAll('[data-test=row-card]')
    expect(cards).toHaveLength(2)
    expect(cards[0].find('[data-test=row-card-title]').text()).toBe('张*三')
    expect(cards[0].text()).toContain('经办人')
    expect(cards[1].text()).not.toContain('凭证号') // empty fields are left out
    expect(cards[1].findAll('.rc-btn')).toHaveLength(0)
    await cards[0].find('[data-test=card-receipt]').trigger('click')
    expect(clicked).toEqual([1])
    await cards[0].find('[data-test=row-card-select] input').setValue(true)
    expect(w.emitted('update:selected')[0][0]).toEqual([ROWS[0]])
    expect(cards[1].find('[data-test=row-card-select] input').element.disabled).toBe(true)
  })

  it('no rows: the empty state', () => {
    const w = mount(RowCards, { props: { items: [], spec: { title: () => '', fields: () => [] } }, global: { plugins: [ElementPlus] } })
    expect(w.find('[data-test=empty]').exists()).toBe(true)
  })
})

describe('a list page at phone and desktop width (PaymentTable)', () => {
  afterEach(() => vi.unstubAllGlobals())
  async function mountAt(width) {
    vi.stubGlobal('matchMedia', (q) => ({ matches: width <= Number(/max-width: (\d+)px/.exec(q)[1]), addEventListener() {}, removeEventListener() {} }))
    setActivePinia(createPinia())
    useAuthStore().user = { username: 'cun01', role: 'village' }
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/', component: { template: '<div />' } }, { path: '/r/:no', name: 'receipt', component: { template: '<div />' } }] })
    const w = mount(PaymentTable, { props: { items: ROWS, actions: true }, global: { plugins: [ElementPlus, router], components: Icons } })
    await flushPromises()
    return { w, router }
  }
  it('390 px: cards with the row actions (凭证, 冲正), no table', async () => {
    const { w, router } = await mountAt(390)
    expect(w.find('[data-test=payment-table]').exists()).toBe(false)
    const cards = w.findAll('[data-test=row-card]')
    expect(cards).toHaveLength(2)
    expect(cards[0].text()).toContain('¥ 380.00')
    expect(cards[0].text()).toContain('2023-11-20')
    expect(cards[0].find('[data-test=reverse]').exists()).toBe(true)
    expect(cards[1].find('[data-test=reverse]').exists()).toBe(false) // a subsidy row is not reversed here
    await cards[0].find('[data-test=reverse]').trigger('click')
    expect(w.emitted('reverse')[0][0]).toBe(ROWS[0])
    await cards[0].find('[data-test=card-receipt]').trigger('click')
    await flushPromises()
    expect(router.currentRoute.value.params.no).toBe('R1')
  })
  it('1440 px: the table, unchanged', async () => {
    const { w } = await mountAt(1440)
    expect(w.find('[data-test=payment-table]').exists()).toBe(true)
    expect(w.find('[data-test=row-cards]').exists()).toBe(false)
  })
})
