// Dictionaries (RuoYi 字典): code → label and tag type.

export const CATEGORIES = {
  extreme_poverty: '特困人员',
  orphan: '孤儿',
  de_facto_orphan: '事实无人抚养儿童',
  minimum_living: '低保对象',
  entitled_veteran: '重点优抚对象',
  relapsed_poverty: '返贫致贫人口',
  monitored: '监测对象',
  lifted_from_poverty: '脱贫人口',
  retired_fisher: '退捕渔民',
  family_planning_hardship: '计生特殊困难家庭',
  severe_disability: '重度残疾人',
  severe_mental_illness: '严重精神障碍患者',
  laid_off_worker: '企业下岗职工',
  low_income: '低收入家庭',
  migrant_worker: '外出务工人员',
  student: '在校学生',
  university_student: '高校学生',
  employee_insured: '已参加职工医保',
}

export const ENROLL_STATUS = {
  registered: { label: '已登记未缴费', type: 'warning' },
  unpaid: { label: '未缴费', type: 'warning' },
  paid: { label: '已缴费', type: 'success' },
  none: { label: '未参保', type: 'info' },
  suspended: { label: '参保暂停', type: 'info' },
  transferred: { label: '已转移', type: 'info' },
  cancelled: { label: '已注销', type: 'info' },
  reversed: { label: '已退费', type: 'danger' },
}

export const CHANNELS = {
  wechat: '微信',
  alipay: '支付宝',
  app: '手机App',
  tax_hall: '税务大厅',
  bank: '银行',
  village_collector: '村协理员代收',
  school: '学校代收',
  family_account: '家庭共济账户',
  department: '部门代缴',
}

export const PAYER_KINDS = {
  self: '本人',
  family_account: '家庭共济账户',
  school: '学校',
  department: '资助部门',
}

export const SUBSIDY_MODES = {
  paid_on_behalf: { label: '代缴', type: 'success' },
  reimbursed: { label: '先缴后补', type: 'warning' },
}

export const PAYMENT_KINDS = {
  payment: { label: '缴费', type: 'success' },
  reversal: { label: '冲正/退费', type: 'danger' },
  subsidy: { label: '资助代缴', type: '' },
}

export const ROLES = {
  admin: '医保局管理员',
  township: '乡镇（街道）经办',
  village: '村（社区）协理员',
  school: '学校',
  tax: '税务局',
  department: '资助部门',
  auditor: '审计',
}

export const IMPORT_KINDS = {
  roster: '参保人员花名册',
  subsidy_list: '资助对象名单（部门）',
  employee_roster: '职工医保参保名单',
  targets: '任务数',
  payments: '税务缴费记录',
}

export const AUDIT_ACTIONS = {
  'payment.create': '缴费登记',
  'payment.reverse': '缴费冲正',
  'subsidy.create': '资助代缴',
  'enrollment.create': '参保登记',
  'person.unmask': '查看完整身份信息',
  'user.create': '新增用户',
  'user.password': '修改密码',
  'user.reset_password': '重置密码',
  'user.disable': '停用用户',
  'user.enable': '启用用户',
  import: '数据导入',
  import_rejected: '导入被拒绝',
  'enrollment.suspend': '参保暂停',
  login: '登录',
  'login.failed': '登录失败',
  logout: '退出登录',
  'import.roster': '导入花名册',
  'import.subsidy_list': '导入资助名单',
  'import.employee_roster': '导入职工名单',
  'import.targets': '导入任务数',
  'import.payments': '导入税务缴费',
}

export const PAYMENT_STATUS = {
  not_paid: { label: '未缴费（按期内缴费测算）', type: 'info' },
  accepted: { label: '缴费日期有效', type: 'success' },
  outside_window: { label: '不在征缴期', type: 'danger' },
  too_late: { label: '过晚：待遇期内无法享受', type: 'danger' },
  undetermined: { label: '文件未明确截止日', type: 'warning' },
  window_closed: { label: '征缴期已结束：本年度无法参保', type: 'danger' },
}

export const SEX = { M: '男', F: '女', '1': '男', '2': '女' }

export function label(dict, code) {
  if (code === null || code === undefined || code === '') return '—'
  const v = dict[code]
  if (v === undefined) return String(code)
  return typeof v === 'string' ? v : v.label
}

export function tagType(dict, code) {
  const v = dict[code]
  return v && typeof v === 'object' ? v.type || '' : ''
}

/** Person categories as one line of text (["minimum_living", …] or [{id, label}, …]). */
export function categoryText(list) {
  return (list || []).map((c) => (typeof c === 'string' ? CATEGORIES[c] || c : c.label || CATEGORIES[c.id] || c.id)).join('、')
}
