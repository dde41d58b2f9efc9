// Whole-household rule (按户参保, 不得选择性参保): who in a household is not yet enrolled for
// the year and is not exempt. Exempt: employee-insured, university students (enrol at school),
// deceased. The server has the last word (422 selective_enrollment with details.missing);
// this is the hint shown before anyone clicks.
const EXEMPT = new Set(['employee_insured', 'university_student'])

function catIds(p) {
  return (p.categories || []).map((c) => (typeof c === 'string' ? c : c.id))
}

export function isExempt(p) {
  if (p.deceased) return true
  return catIds(p).some((c) => EXEMPT.has(c))
}

export function isEnrolled(p, year) {
  const e = p.enrollment
  return !!(e && (!year || !e.year || e.year === year) && e.status && e.status !== 'none')
}

export function householdGaps(members, year) {
  const list = members || []
  if (!list.some((m) => isEnrolled(m, year))) return list.filter((m) => !isExempt(m))
  return list.filter((m) => !isEnrolled(m, year) && !isExempt(m))
}
