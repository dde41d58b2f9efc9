export function isSpreadsheet(contentType) {
  const ct = String(contentType || '').toLowerCase()
  return ct.includes('spreadsheetml') || ct.includes('ms-excel') || ct.includes('octet-stream') || ct.includes('text/csv')
}

/** File name from Content-Disposition (RFC 6266, with filename*=UTF-8'' for Chinese names). */
export function filenameFrom(disposition, fallback) {
  const d = String(disposition || '')
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(d)
  if (star) {
    try {
      return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ''))
    } catch {
      /* fall through */
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/.exec(d)
  return plain ? plain[1].trim() : fallback
}
