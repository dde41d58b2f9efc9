// Money is integer fen everywhere; never float arithmetic on money.

/** Format integer fen as yuan with 2 decimals: 38000 → "380.00", -3800 → "-38.00".
 *  group: insert thousands separators ("1,234.56"). null/undefined/'' → "—". */
export function fenToYuan(fen, { group = false, unit = false } = {}) {
  if (fen === null || fen === undefined || fen === '') return '—'
  let n
  if (typeof fen === 'bigint') n = fen
  else {
    const v = typeof fen === 'string' ? Number(fen) : fen
    if (!Number.isInteger(v)) return '—'
    n = BigInt(v)
  }
  const neg = n < 0n
  if (neg) n = -n
  const yuan = n / 100n
  const cents = n % 100n
  let y = yuan.toString()
  if (group) y = y.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const s = (neg ? '-' : '') + y + '.' + cents.toString().padStart(2, '0')
  return unit ? s + ' 元' : s
}

/** Parse a yuan string typed by a user ("38", "38.5", "38.50") into integer fen, or null. */
export function yuanToFen(text) {
  if (text === null || text === undefined) return null
  const s = String(text).trim().replace(/,/g, '')
  const m = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(s)
  if (!m) return null
  const fen = Number(m[2]) * 100 + Number((m[3] || '').padEnd(2, '0'))
  if (!Number.isSafeInteger(fen)) return null
  return m[1] ? -fen : fen
}

/** Mask an ID number: keep the first 6 and last 4 characters (341702********1234).
 *  Already-masked input is returned unchanged. */
export function maskId(id) {
  if (!id) return ''
  const s = String(id)
  if (s.includes('*')) return s
  if (s.length <= 10) return s.length > 4 ? '*'.repeat(s.length - 4) + s.slice(-4) : s
  return s.slice(0, 6) + '*'.repeat(s.length - 10) + s.slice(-4)
}

/** Mask a Chinese name: 张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧**明. */
export function maskName(name) {
  if (!name) return ''
  const chars = Array.from(String(name))
  if (chars.includes('*')) return String(name)
  if (chars.length === 1) return chars[0]
  if (chars.length === 2) return chars[0] + '*'
  return chars[0] + '*'.repeat(chars.length - 2) + chars[chars.length - 1]
}

/** Completion rate (0..1 float from the server, not money) → "82.94%". */
export function percent(rate, digits = 2) {
  if (rate === null || rate === undefined || Number.isNaN(Number(rate))) return '—'
  return (Number(rate) * 100).toFixed(digits) + '%'
}

/** Integer count with thousands separators. */
export function count(n) {
  if (n === null || n === undefined || n === '') return '—'
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** "2023-11-20T08:15:00Z" → local "2023-11-20 16:15:00". */
export function dateTime(ts) {
  if (!ts) return '—'
  const d = new Date(ts)
  if (Number.isNaN(d.getTime())) return String(ts)
  const p = (x) => String(x).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

export function dateOnly(d) {
  return d || '—'
}

/** Sum integer fen values exactly. */
export function sumFen(values) {
  let t = 0n
  for (const v of values) if (Number.isInteger(v)) t += BigInt(v)
  return Number(t)
}

/** Quick check digit validation (GB 11643) for 18-digit ID numbers; used for form hints only. */
export function idChecksumOk(id) {
  const s = String(id || '').toUpperCase()
  if (!/^\d{17}[\dX]$/.test(s)) return false
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const c = '10X98765432'
  let sum = 0
  for (let i = 0; i < 17; i++) sum += Number(s[i]) * w[i]
  return c[sum % 11] === s[17]
}
