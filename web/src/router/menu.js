// The menu tree: one place for titles, icons and which roles see what. The router is built
// from it, and the sidebar shows only the entries the user's role may open.

const ALL = ['admin', 'township', 'village', 'school', 'tax', 'department', 'auditor']

export const MENU = [
  { path: '/dashboard', name: 'dashboard', title: '工作台', icon: 'Odometer', roles: ALL, view: 'dashboard/Index' },
  {
    // Field collection (issue 14): the phone-first pages of a village/township collector.
    path: '/collect', title: '入户征缴', icon: 'Iphone', roles: ['admin', 'township', 'village', 'auditor'],
    children: [
      { path: '/collect/home', name: 'collect', title: '征缴', roles: ['admin', 'township', 'village'], view: 'collect/Home' },
      { path: '/collect/household/:id', name: 'collect-household', title: '整户缴费', roles: ['admin', 'township', 'village'], view: 'collect/HouseholdCard', hidden: true },
      { path: '/collect/receipt/:id', name: 'collect-receipt', title: '整户缴费凭证', roles: ['admin', 'township', 'village', 'auditor'], view: 'collect/HouseholdReceipt', hidden: true },
      { path: '/collect/daily', name: 'daily', title: '日结', roles: ['admin', 'township', 'village', 'auditor'], view: 'collect/Daily' },
    ],
  },
  {
    path: '/enroll', title: '参保登记', icon: 'User', roles: ALL,
    children: [
      { path: '/enroll/persons', name: 'persons', title: '人员查询', roles: ALL, view: 'enroll/Persons' },
      { path: '/enroll/household/:id', name: 'household', title: '家庭户', roles: ALL, view: 'enroll/Household', hidden: true },
      { path: '/enroll/person/:key', name: 'person', title: '人员详情', roles: ALL, view: 'enroll/Person', hidden: true },
    ],
  },
  {
    path: '/payment', title: '缴费管理', icon: 'Wallet', roles: ['admin', 'township', 'village', 'school', 'tax', 'auditor'],
    children: [
      { path: '/payment/record', name: 'payment-record', title: '缴费登记', roles: ['admin', 'township', 'village', 'school', 'tax'], view: 'payment/Record' },
      { path: '/payment/ledger', name: 'payment-ledger', title: '缴费记录', roles: ['admin', 'township', 'village', 'school', 'tax', 'auditor'], view: 'payment/Ledger' },
      { path: '/payment/unpaid', name: 'payment-unpaid', title: '未缴清单', roles: ['admin', 'township', 'village', 'school', 'auditor'], view: 'payment/Unpaid' },
      { path: '/payment/receipt/:no', name: 'receipt', title: '缴费凭证', roles: ['admin', 'township', 'village', 'school', 'tax', 'auditor'], view: 'payment/Receipt', hidden: true },
    ],
  },
  { path: '/import', name: 'import', title: '数据导入', icon: 'Upload', roles: ['admin', 'township', 'village', 'school', 'tax', 'department'], view: 'import/Index' },
  {
    path: '/campaign', title: '征缴管理', icon: 'DataLine', roles: ALL,
    children: [
      { path: '/campaign/progress', name: 'progress', title: '任务与进度', roles: ALL, view: 'campaign/Progress' },
      { path: '/campaign/lists', name: 'lists', title: '动员清单', roles: ['admin', 'township', 'village', 'auditor'], view: 'campaign/Lists' },
      { path: '/campaign/reconcile', name: 'reconcile', title: '对账', roles: ['admin', 'township', 'tax', 'auditor'], view: 'campaign/Reconcile' },
      { path: '/campaign/notice', name: 'notice', title: '公示', roles: ['admin', 'township', 'village', 'auditor'], view: 'campaign/Notice' },
      { path: '/campaign/reports', name: 'reports', title: '报表', roles: ['admin', 'township', 'tax', 'auditor'], view: 'campaign/Reports' },
      { path: '/campaign/funds', name: 'funds', title: '资金', roles: ['admin', 'department', 'auditor'], view: 'campaign/Funds' },
    ],
  },
  {
    path: '/policy', title: '政策', icon: 'Document', roles: ALL,
    children: [
      { path: '/policy/list', name: 'policy-list', title: '政策文件', roles: ALL, view: 'policy/List' },
      { path: '/policy/diff', name: 'policy-diff', title: '政策对比', roles: ALL, view: 'policy/Diff' },
      { path: '/policy/whatif', name: 'policy-whatif', title: '政策测算', roles: ['admin', 'auditor'], view: 'policy/WhatIf' },
    ],
  },
  {
    path: '/system', title: '系统管理', icon: 'Setting', roles: ['admin', 'auditor'],
    children: [
      { path: '/system/users', name: 'users', title: '用户管理', roles: ['admin'], view: 'system/Users' },
      { path: '/system/roles', name: 'roles', title: '角色与权限', roles: ['admin', 'auditor'], view: 'system/Roles' },
      { path: '/system/audit', name: 'audit', title: '审计日志', roles: ['admin', 'auditor'], view: 'system/Audit' },
    ],
  },
]

/** The menu entries a role sees (hidden detail pages dropped, empty groups dropped). */
export function menuFor(role) {
  const out = []
  for (const item of MENU) {
    if (!item.roles.includes(role)) continue
    if (item.children) {
      const kids = item.children.filter((c) => !c.hidden && c.roles.includes(role))
      if (kids.length) out.push({ ...item, children: kids })
    } else if (!item.hidden) out.push(item)
  }
  return out
}

/** The first page after login: collectors (village/township) start on 征缴, everyone else on 工作台. */
export function homePathFor(role) {
  return role === 'village' || role === 'township' ? '/collect/home' : '/dashboard'
}

/** The bottom tabs a collector has on a phone (thumb reach); other roles use the drawer only. */
export function phoneTabsFor(role) {
  if (role !== 'village' && role !== 'township') return []
  return [
    { path: '/collect/home', title: '征缴', icon: 'Search' },
    { path: '/collect/daily', title: '日结', icon: 'Tickets' },
    { path: '/payment/unpaid', title: '未缴', icon: 'Bell' },
  ].filter((t) => canAccess(role, t.path))
}

/** Every leaf route (for the router), with its parent title for breadcrumbs. */
export function leafRoutes() {
  const out = []
  for (const item of MENU) {
    if (item.children) for (const c of item.children) out.push({ ...c, parentTitle: item.title })
    else out.push({ ...item, parentTitle: null })
  }
  return out
}

export function canAccess(role, path) {
  const leaf = leafRoutes().find((r) => matchPath(r.path, path))
  return !leaf || leaf.roles.includes(role)
}

function matchPath(pattern, path) {
  const re = new RegExp('^' + pattern.replace(/:[^/]+/g, '[^/]+') + '$')
  return re.test(path)
}

/** Actions by role (buttons shown), mirroring docs/api.md's role table. */
export const PERMS = {
  'payment.create': ['admin', 'township', 'village', 'school', 'tax'],
  'payment.reverse': ['admin', 'township', 'village'],
  'enrollment.create': ['admin', 'township', 'village'],
  // write.enroll on the server: 新生儿登记, 参保暂停, 迁移/变更户
  'enrollment.suspend': ['admin', 'township', 'village'],
  'person.register': ['admin', 'township', 'village'],
  'person.move': ['admin', 'township', 'village'],
  'person.unmask': ['admin', 'township', 'village'],
  'user.manage': ['admin'],
}

export function can(role, action) {
  return (PERMS[action] || []).includes(role)
}

/** Channels a role may record (docs/api.md roles table). */
export function channelsFor(role) {
  switch (role) {
    case 'admin':
      return ['village_collector', 'wechat', 'alipay', 'app', 'bank', 'tax_hall', 'school', 'family_account']
    case 'township':
    case 'village':
      return ['village_collector', 'wechat', 'alipay', 'app', 'bank', 'family_account']
    case 'school':
      return ['school']
    case 'tax':
      return ['tax_hall']
    default:
      return []
  }
}

/** Import kinds a role may upload. */
export function importKindsFor(role) {
  switch (role) {
    case 'admin':
      return ['roster', 'subsidy_list', 'employee_roster', 'targets', 'payments']
    case 'township':
    case 'village':
    case 'school':
      return ['roster']
    case 'tax':
      return ['payments']
    case 'department':
      return ['subsidy_list']
    default:
      return []
  }
}
