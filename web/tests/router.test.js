import { describe, it, expect, beforeEach } from 'vitest'
import { createRouter, createMemoryHistory } from 'vue-router'
import { createPinia, setActivePinia } from 'pinia'
import { routes, installGuards } from '../src/router'
import { useAuthStore } from '../src/stores/auth'

function make(user) {
  const pinia = createPinia()
  setActivePinia(pinia)
  const store = useAuthStore()
  store.checked = true
  if (user) store.setSession({ user, csrf_token: 't' })
  const router = createRouter({ history: createMemoryHistory(), routes })
  installGuards(router, pinia)
  return router
}

describe('route guards', () => {
  beforeEach(() => {
    globalThis.document.title = ''
  })
  it('sends a visitor to the login page and remembers where they were going', async () => {
    const r = make(null)
    await r.push('/payment/ledger')
    expect(r.currentRoute.value.name).toBe('login')
    expect(r.currentRoute.value.query.redirect).toBe('/payment/ledger')
  })
  it('lets the public resident page through without a session', async () => {
    const r = make(null)
    await r.push('/resident')
    expect(r.currentRoute.value.name).toBe('resident')
  })
  it('forces the first-login password change', async () => {
    const r = make({ username: 'new', role: 'village', region: '341702001001', region_name: '一村', must_change_password: true })
    await r.push('/dashboard')
    expect(r.currentRoute.value.name).toBe('password')
  })
  it('answers 403 for a page outside the role', async () => {
    const r = make({ username: 'cun01', role: 'village', region: '341702001001', region_name: '一村' })
    await r.push('/system/users')
    expect(r.currentRoute.value.name).toBe('forbidden')
    await r.push('/payment/record')
    expect(r.currentRoute.value.name).toBe('payment-record')
  })
  it('keeps department users out of receipts', async () => {
    const r = make({ username: 'mz', role: 'department', region: '341702', region_name: '贵池区', department: '民政局' })
    await r.push('/payment/receipt/341702-2024-00000001')
    expect(r.currentRoute.value.name).toBe('forbidden')
  })
})
