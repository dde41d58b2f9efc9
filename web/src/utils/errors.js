import { fenToYuan } from './format'

// Turn a payment refusal into a sentence a collector can act on. The server's message is already
// Chinese; details add the exact figures.
export function payErrorMessage(e) {
  const d = e.details || {}
  switch (e.code) {
    case 'wrong_amount':
      return d.expected_fen !== undefined ? `缴费金额不符：应缴 ${fenToYuan(d.expected_fen)} 元` : e.message
    case 'outside_window':
      return d.window_open ? `不在缴费期内（${d.window_open} 至 ${d.window_close}）` : e.message
    case 'day_not_allowed':
      return Array.isArray(d.allowed_days) ? `每月仅 ${d.allowed_days[0]}–${d.allowed_days[1]} 日可缴费` : e.message
    case 'already_paid':
      return d.receipt_no ? `该人员本年度已缴费，凭证号 ${d.receipt_no}` : e.message
    default:
      return e.message || '缴费失败'
  }
}
