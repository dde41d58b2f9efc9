// Thin fetch wrapper: JSON in/out, CSRF header on writes, errors as ApiError with the server's
// {"error": {code, message, field, row, details}}.

export const BASE = '/api/v1'

let csrfToken = ''
let onUnauthorized = null
let onPasswordChange = null

export function setCsrf(token) {
  csrfToken = token || ''
}
export function getCsrf() {
  return csrfToken
}
export function setHandlers({ unauthorized, passwordChange } = {}) {
  onUnauthorized = unauthorized || null
  onPasswordChange = passwordChange || null
}

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {}
    super(e.message || defaultMessage(status))
    this.status = status
    this.code = e.code || 'http_' + status
    this.field = e.field ?? null
    this.row = e.row ?? null
    this.details = e.details || null
  }
}

function defaultMessage(status) {
  if (status === 0) return '无法连接服务器，请检查网络'
  if (status === 401) return '登录已过期，请重新登录'
  if (status === 403) return '无权限执行此操作'
  if (status === 404) return '未找到相关数据'
  if (status === 429) return '操作过于频繁，请稍后再试'
  if (status >= 500) return '服务器繁忙，请稍后再试'
  return '请求失败（' + status + '）'
}

export function query(params) {
  if (!params) return ''
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue
    q.append(k, String(v))
  }
  const s = q.toString()
  return s ? '?' + s : ''
}

export async function request(method, path, { params, body, form, quiet401 = false } = {}) {
  const headers = { Accept: 'application/json' }
  let payload
  if (form) payload = form
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken
  let res
  try {
    res = await fetch(BASE + path + query(params), {
      method,
      headers,
      body: payload,
      credentials: 'same-origin',
    })
  } catch {
    throw new ApiError(0, null)
  }
  if (res.status === 204) return null
  const ct = res.headers.get('Content-Type') || ''
  let data = null
  if (ct.includes('application/json')) {
    try {
      data = await res.json()
    } catch {
      data = null
    }
  } else {
    data = await res.text()
  }
  if (!res.ok) {
    const err = new ApiError(res.status, typeof data === 'object' ? data : null)
    if (res.status === 401 && !quiet401 && onUnauthorized) onUnauthorized(err)
    if (res.status === 403 && err.code === 'password_change_required' && onPasswordChange) onPasswordChange(err)
    throw err
  }
  return data
}

export const http = {
  get: (p, params, opts) => request('GET', p, { params, ...opts }),
  post: (p, body, opts) => request('POST', p, { body, ...opts }),
  put: (p, body, opts) => request('PUT', p, { body, ...opts }),
  del: (p, opts) => request('DELETE', p, opts),
  upload: (p, form, opts) => request('POST', p, { form, ...opts }),
}

/** URL for a file download (xlsx export); the session cookie goes along. */
export function downloadUrl(path, params) {
  return BASE + path + query(params)
}

/** Idempotency key for a payment: random, sent again on retry of the same click. */
export function newIdempotencyKey() {
  if (globalThis.crypto && crypto.randomUUID) return 'web-' + crypto.randomUUID()
  return 'web-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2)
}
