// Pure helpers of the collector pages (征缴, 整户缴费, 日结): the household card's math, labels,
// the campaign year, the amount in words. Money stays integer fen (BigInt sums, no floats).
import { CHANNELS } from '../../utils/dict'
import { fenToYuan } from '../../utils/format'

/** The campaign year a day belongs to, as the 报表 page reads it: the campaign for year Y opens in
 *  the autumn of Y−1 (September on) — the demo's 2023-11-20 collects for 2024. null without a date. */
export function campaignYear(today) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(today || ''))
  if (!m) return null
  return +m[2] >= 9 ? +m[1] + 1 : +m[1]
}

export const DUE_STATUS = {
  owing: { label: '待缴费', type: 'warning' },
  paid: { label: '已缴费', type: 'success' },
  not_required: { label: '无需缴费', type: 'info' },
  cannot_pay: { label: '暂不能缴费', type: 'danger' },
  pending_sync: { label: '待同步', type: 'warning' },
}

export function statusLabel(m) {
  return (m && m.status_label) || (DUE_STATUS[m && m.status] || {}).label || (m && m.status) || '—'
}
export function statusType(status) {
  return (DUE_STATUS[status] || {}).type || 'info'
}

/** "¥ 380.00" (thousands grouped); "—" when unknown. */
export function yuan(fen) {
  const s = fenToYuan(fen, { group: true })
  return s === '—' ? s : '¥ ' + s
}

export function channelLabel(c, label) {
  return label || CHANNELS[c] || c || '—'
}

function addFen(a, b) {
  return Number(BigInt(a) + BigInt(b))
}

/** A member can be paid now: owes, and the amount is known. */
export function payable(m) {
  return !!m && m.status === 'owing' && Number.isInteger(m.individual_due_fen)
}

/** The household card's figures from GET /households/{id}/due:
 *  owing members (payable), their total, paid/other counts, members whose due is undetermined,
 *  and whether the server's total agrees with the sum of the members (it should). */
export function dueSummary(due) {
  const members = (due && due.members) || []
  const owing = members.filter(payable)
  const undetermined = members.filter((m) => m.status === 'owing' && !Number.isInteger(m.individual_due_fen))
  let sum = 0
  for (const m of owing) sum = addFen(sum, m.individual_due_fen)
  const server = due && Number.isInteger(due.total_due_fen) ? due.total_due_fen : null
  return {
    members: members.length,
    owing,
    owingCount: owing.length,
    undetermined,
    paidCount: members.filter((m) => m.status === 'paid').length,
    otherCount: members.filter((m) => m.status === 'not_required' || m.status === 'cannot_pay').length,
    totalFen: server ?? sum,
    sumFen: sum,
    consistent: server === null || server === sum,
  }
}

/** Subsidy lines as text: "民政局 代缴 ¥ 380.00". */
export function subsidyText(s) {
  if (!s) return ''
  return `${s.payer || s.payer_name || '资助'} ${yuan(s.amount_fen)}`
}

/** The sum of integer fen over `items[key]`. */
export function totalFen(items, key = 'amount_fen') {
  let t = 0
  for (const x of items || []) if (Number.isInteger(x && x[key])) t = addFen(t, x[key])
  return t
}

const DIGITS = '零壹贰叁肆伍陆柒捌玖'
const SMALL = ['', '拾', '佰', '仟']
const BIG = ['', '万', '亿', '万亿']

/** Amount in Chinese capitals as on a receipt: 38000 → "叁佰捌拾元整", 1005 → "壹拾元零伍分". */
export function amountWords(fen) {
  if (!Number.isInteger(fen) && typeof fen !== 'bigint') return ''
  let n = BigInt(fen)
  const neg = n < 0n
  if (neg) n = -n
  const yuanPart = n / 100n
  const jiao = Number((n % 100n) / 10n)
  const fenD = Number(n % 10n)
  let words = ''
  if (yuanPart > 0n) {
    const s = yuanPart.toString()
    const groups = []
    for (let end = s.length; end > 0; end -= 4) groups.unshift(s.slice(Math.max(0, end - 4), end))
    let zero = false
    groups.forEach((g, gi) => {
      const bigIdx = groups.length - 1 - gi
      let part = ''
      const digits = g.padStart(4, '0')
      for (let i = 0; i < 4; i++) {
        const d = +digits[i]
        if (d === 0) {
          if (part || words) zero = true
        } else {
          if (zero) part += '零'
          zero = false
          part += DIGITS[d] + SMALL[3 - i]
        }
      }
      if (part) words += part + BIG[bigIdx]
    })
    words += '元'
  }
  if (jiao === 0 && fenD === 0) words += words ? '整' : '零元整'
  else {
    if (jiao) words += DIGITS[jiao] + '角'
    else if (words) words += '零'
    if (fenD) words += DIGITS[fenD] + '分'
    else words += '整'
  }
  return (neg ? '负' : '') + words
}

/** GET /collections/daily as the page shows it: a collector's day, or the bureau's list of collectors. */
export function dailyView(d) {
  if (!d) return null
  const channels = (d.channels || []).map((c) => ({ ...c, label: channelLabel(c.channel, c.label) }))
  const items = (d.items || []).map((it) => ({ ...it, channel_label: channelLabel(it.channel, it.channel_label) }))
  const live = items.filter((it) => !it.reversed)
  return {
    date: d.date || '',
    collector: d.collector || '',
    displayName: d.display_name || d.collector || '',
    bureau: Array.isArray(d.collectors),
    collectors: (d.collectors || []).map((c) => ({ ...c, display_name: c.display_name || c.collector, channels: (c.channels || []).map((x) => ({ ...x, label: channelLabel(x.channel, x.label) })) })),
    count: Number.isInteger(d.count) ? d.count : live.length,
    totalFen: Number.isInteger(d.total_fen) ? d.total_fen : totalFen(live),
    channels,
    items,
  }
}

/** Today's date in the browser ("YYYY-MM-DD"), a fallback for the server's business day. */
export function localDate(d = new Date()) {
  const p = (x) => String(x).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

/** A refused household/member payment as one sentence a collector can act on. */
export function collectErrorMessage(e, base) {
  if (!e) return ''
  const d = e.details || {}
  if (e.code === 'selective_enrollment' || Array.isArray(d.missing)) {
    const names = (d.missing || []).map((m) => (typeof m === 'string' ? m : m.name || m.id_last4 || m.person || m.id_number)).filter(Boolean)
    return '按户参保，不得选择性缴费' + (names.length ? '：须一并缴费的成员 ' + names.join('、') : '') + (e.message && !names.length ? '（' + e.message + '）' : '')
  }
  if (e.status === 0) return '无法连接服务器，请检查网络后重试（同一笔不会重复收款）'
  return base ? base(e) : e.message || '缴费失败'
}

/** What the receipt page shows when the payment was queued offline (no receipt numbers yet). */
export function queuedSummary(due, paidMembers, { channel, paid_on, placeholder = '待同步', collected_at, key } = {}) {
  const rows = paidMembers.map((m) => ({ name: m.name, id_last4: m.id_last4 || '', amount_fen: m.individual_due_fen, receipt_no: null, placeholder }))
  return {
    household: due.household,
    head_name: due.head_name || (paidMembers[0] && paidMembers[0].name) || '',
    region_name: due.region_name || due.region || '',
    year: due.year,
    channel,
    paid_on,
    // when the cash changed hands (the queue item's time): the server keeps only the date
    collected_at: collected_at || new Date().toISOString(),
    key: key || '', // the queue item, to follow it to its receipts once synced
    queued: true,
    rows,
    total_fen: totalFen(rows),
  }
}
