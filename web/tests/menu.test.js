import { describe, it, expect } from 'vitest'
import { menuFor, canAccess, can, channelsFor, importKindsFor, leafRoutes } from '../src/router/menu'

const titles = (role) => menuFor(role).flatMap((m) => (m.children ? [m.title, ...m.children.map((c) => c.title)] : [m.title]))

describe('menu by role', () => {
  it('admin sees everything including 系统管理', () => {
    const t = titles('admin')
    for (const x of ['工作台', '人员查询', '缴费登记', '数据导入', '任务与进度', '对账', '公示', '报表', '资金', '政策文件', '政策测算', '用户管理', '审计日志']) expect(t).toContain(x)
  })
  it('village collector: no system, no reconciliation, no funds', () => {
    const t = titles('village')
    expect(t).toContain('缴费登记')
    expect(t).toContain('未缴清单')
    expect(t).toContain('公示')
    expect(t).not.toContain('系统管理')
    expect(t).not.toContain('对账')
    expect(t).not.toContain('资金')
  })
  it('department: no payments at all (api: no access to residents payments)', () => {
    const t = titles('department')
    expect(t).not.toContain('缴费管理')
    expect(t).not.toContain('缴费登记')
    expect(t).toContain('资金')
    expect(t).toContain('数据导入')
  })
  it('auditor reads audit but cannot record payments or manage users', () => {
    const t = titles('auditor')
    expect(t).toContain('审计日志')
    expect(t).toContain('缴费记录')
    expect(t).not.toContain('缴费登记')
    expect(t).not.toContain('用户管理')
    expect(t).not.toContain('数据导入')
  })
  it('hidden detail pages never appear in the menu but are routable', () => {
    expect(titles('admin')).not.toContain('家庭户')
    expect(leafRoutes().some((r) => r.path === '/enroll/household/:id')).toBe(true)
  })
  it('route access follows roles, including parameterised paths', () => {
    expect(canAccess('village', '/system/users')).toBe(false)
    expect(canAccess('admin', '/system/users')).toBe(true)
    expect(canAccess('department', '/payment/receipt/341702-2024-00000001')).toBe(false)
    expect(canAccess('village', '/payment/receipt/341702-2024-00000001')).toBe(true)
  })
  it('actions and channels by role', () => {
    expect(can('village', 'person.unmask')).toBe(true)
    expect(can('department', 'person.unmask')).toBe(false)
    expect(can('auditor', 'payment.create')).toBe(false)
    expect(channelsFor('school')).toEqual(['school'])
    expect(channelsFor('tax')).toEqual(['tax_hall'])
    expect(channelsFor('village')).toContain('family_account')
    expect(channelsFor('auditor')).toEqual([])
    expect(importKindsFor('department')).toEqual(['subsidy_list'])
    expect(importKindsFor('tax')).toEqual(['payments'])
  })
})
