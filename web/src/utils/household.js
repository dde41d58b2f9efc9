// Whole-household rule (按户参保, 不得选择性参保): who in a household is not yet enrolled for
// the year and is not exempt. Exempt: employee-insured, university students (enrol at school),
// deceased. The server has the last word (422 selective_enrollment with details.missing);
// this is the hint shown before anyone clicks.
const EXEMPT = new Set(['employee_insured', 'university_student'])
// an enrollment in one of these states does not count for the whole-household rule (server:
// registry household_status counts only registered/paid)
const INACTIVE = new Set(['none', 'suspended', 'transferred', 'cancelled'])

function catIds(p) {
  return (p.categories || []).map((c) => (typeof c === 'string' ? c : c.id))
}

export function isExempt(p) {
  if (p.deceased) return true
  return catIds(p).some((c) => EXEMPT.has(c))
}

export function isEnrolled(p, year) {
  const e = p.enrollment
  return !!(e && (!year || !e.year || e.year === year) && e.status && !INACTIVE.has(e.status))
}

export function householdGaps(members, year) {
  const list = members || []
  if (!list.some((m) => isEnrolled(m, year))) return list.filter((m) => !isExempt(m))
  return list.filter((m) => !isEnrolled(m, year) && !isExempt(m))
}

/** Enrollments that can be suspended (参保暂停): registered or paid; the server answers 422
 *  not_active for any other. */
export function canSuspend(enrollment) {
  return !!(enrollment && enrollment.id && (enrollment.status === 'registered' || enrollment.status === 'paid'))
}

/** 迁移/变更户 form: {mode: 'existing'|'new', household, region}. A new household (分户) needs a
 *  village code (12 digits) inside the user's region. → {field: message}, empty when valid. */
export function validateMove(form, { current, scope } = {}) {
  const errors = {}
  const hh = String(form.household || '').trim()
  if (!hh) errors.household = '请输入目标户号'
  else if (hh.length > 64 || /\s/.test(hh)) errors.household = '户号无效'
  else if (current && hh === current) errors.household = '该人员已在此户'
  if (form.mode === 'new') {
    const r = String(form.region || '')
    if (!r) errors.region = '新立户须选择户籍所在村（社区）'
    else if (!/^\d{12}$/.test(r)) errors.region = '请选择到村（社区）一级'
    else if (scope && !r.startsWith(scope)) errors.region = '迁入区划不在您的管辖范围内'
  }
  return errors
}
