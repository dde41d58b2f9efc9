// Resident ID numbers (GB 11643-1999, 18 digits): region (6) + birth date (8) + sequence (3) +
// check digit (ISO 7064 MOD 11-2). Client-side checks for the 新生儿登记 form; the server checks
// again and has the last word.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const CHECK = '10X98765432'

/** The check digit for the first 17 digits ("34170220231101001" → "X" or a digit), or null. */
export function idCheckDigit(body17) {
  const s = String(body17 || '')
  if (!/^\d{17}$/.test(s)) return null
  let sum = 0
  for (let i = 0; i < 17; i++) sum += Number(s[i]) * WEIGHTS[i]
  return CHECK[sum % 11]
}

/** A valid 18-digit ID from its parts (tests, demo data): makeIdNumber('341702', '20231101', 1). */
export function makeIdNumber(region6, ymd, seq) {
  const body = String(region6) + String(ymd).replace(/-/g, '') + String(seq).padStart(3, '0')
  return body + idCheckDigit(body)
}

/** "20231101" → "2023-11-01" when it is a real calendar date, else null. */
export function ymdToDate(ymd) {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(String(ymd || ''))
  if (!m) return null
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (y < 1900 || mo < 1 || mo > 12 || d < 1) return null
  const dim = new Date(Date.UTC(y, mo, 0)).getUTCDate()
  if (d > dim) return null
  return `${m[1]}-${m[2]}-${m[3]}`
}

/** Whole days from `from` to `to` ("YYYY-MM-DD" both), or null. */
export function daysBetween(from, to) {
  const a = Date.parse(String(from || '') + 'T00:00:00Z')
  const b = Date.parse(String(to || '') + 'T00:00:00Z')
  if (Number.isNaN(a) || Number.isNaN(b)) return null
  return Math.round((b - a) / 86400000)
}

/** Check an 18-digit ID number. `today` ("YYYY-MM-DD", the server's business day) rules out
 *  birth dates in the future. → {ok: true, id, region, birth, sex} or {ok: false, message}. */
export function parseIdNumber(input, today) {
  const id = String(input || '').trim().toUpperCase()
  if (!id) return { ok: false, message: '请输入身份证号' }
  if (!/^\d{17}[\dX]$/.test(id)) return { ok: false, message: '身份证号应为18位（最后一位可为X）' }
  if (!/^[1-9]\d{5}$/.test(id.slice(0, 6)) || id.slice(2, 6) === '0000') return { ok: false, message: '身份证号前6位行政区划代码无效' }
  const birth = ymdToDate(id.slice(6, 14))
  if (!birth) return { ok: false, message: '身份证号中的出生日期无效' }
  if (today && birth > today) return { ok: false, message: '身份证号中的出生日期晚于今日' }
  if (idCheckDigit(id.slice(0, 17)) !== id[17]) return { ok: false, message: '身份证号校验位错误，请核对' }
  return { ok: true, id, region: id.slice(0, 6), birth, sex: Number(id[16]) % 2 === 1 ? 'M' : 'F' }
}

/** 出生90天内参保缴费的，自出生之日起享受医保待遇. Days since birth and whether the 90-day window
 *  is still open on `today`, counted as the policies do (policies/2024/guichi.toml newborn_90_days,
 *  民法典第201条): the day of birth is not counted, birth + 90 days is the last day inside. */
export function newbornWindow(birth, today) {
  const days = daysBetween(birth, today)
  if (days === null || days < 0) return null
  return { days, within90: days <= 90, lastDay: addDays(birth, 90) }
}

export function addDays(date, n) {
  const t = Date.parse(String(date || '') + 'T00:00:00Z')
  if (Number.isNaN(t)) return null
  return new Date(t + n * 86400000).toISOString().slice(0, 10)
}

/** Validation of the 新生儿登记 form: {id_number, name, birth}. `household_region` (12 digits)
 *  only feeds a warning (an ID issued elsewhere is legal). → {errors: {field: msg}, warnings: [msg]}. */
export function validateNewborn(form, { today, householdRegion } = {}) {
  const errors = {}
  const warnings = []
  const p = parseIdNumber(form.id_number, today)
  if (!p.ok) errors.id_number = p.message
  const name = String(form.name || '').trim()
  if (!name) errors.name = '请输入姓名'
  else if (Array.from(name).length > 30) errors.name = '姓名过长'
  if (p.ok) {
    if (form.birth && form.birth !== p.birth) errors.birth = '出生日期与身份证号不符（应为 ' + p.birth + '）'
    if (householdRegion && !String(householdRegion).startsWith(p.region))
      warnings.push('身份证号前6位（' + p.region + '）与本户区划（' + String(householdRegion).slice(0, 6) + '）不一致，请核对')
    const w = today ? newbornWindow(p.birth, today) : null
    if (w && w.days > 365) warnings.push('出生已满一年，请确认是否为新生儿')
  }
  return { errors, warnings }
}
