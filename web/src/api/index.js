// Every endpoint the UI uses, named after docs/api.md and the campaign/policy routes of the server
// (src/server/routes_campaign.cc, routes_policy.cc). What is still missing: web/API-NEEDS.md.
import { http, downloadUrl } from './http'

export const auth = {
  login: (username, password) => http.post('/auth/login', { username, password }, { quiet401: true }),
  logout: () => http.post('/auth/logout'),
  me: () => http.get('/auth/me', null, { quiet401: true }),
  csrf: () => http.get('/auth/csrf'),
  changePassword: (old_password, new_password) => http.post('/auth/password', { old_password, new_password }),
}

export const regions = {
  list: (under) => http.get('/regions', { under }),
}

export const persons = {
  search: (params) => http.get('/persons', params),
  get: (key, unmask = false) => http.get('/persons/' + encodeURIComponent(key), unmask ? { unmask: 1 } : null),
  assessment: (key, year, paid_on) => http.get('/persons/' + encodeURIComponent(key) + '/assessment', { year, paid_on }),
  // 迁移/变更户: {household, region?, date?} → {person}
  move: (key, body) => http.post('/persons/' + encodeURIComponent(key) + '/move', body),
}

export const households = {
  get: (id, params) => http.get('/households/' + encodeURIComponent(id), params),
  // 新生儿登记: {id_number, name, birth?, parent_insured?, year?} → 201 {person, enrollment_error}
  addMember: (id, body) => http.post('/households/' + encodeURIComponent(id) + '/members', body),
}

export const enrollments = {
  create: (body) => http.post('/enrollments', body),
  list: (params) => http.get('/enrollments', params),
  // 参保暂停: {reason, date?} → {enrollment}
  suspend: (id, body) => http.post('/enrollments/' + id + '/suspend', body),
}

export const payments = {
  create: (body) => http.post('/payments', body),
  reverse: (id, reason, idempotency_key) => http.post('/payments/' + id + '/reverse', { reason, idempotency_key }),
  list: (params) => http.get('/payments', params),
  get: (id) => http.get('/payments/' + id),
  subsidy: (body) => http.post('/subsidy-payments', body),
}

export const receipts = {
  get: (no) => http.get('/receipts/' + encodeURIComponent(no)),
  printUrl: (no) => downloadUrl('/receipts/' + encodeURIComponent(no) + '/print'),
}

export const imports = {
  upload: (kind, form) => http.upload('/imports/' + kind, form),
  list: (params) => http.get('/imports', params),
  get: (id) => http.get('/imports/' + id),
  templateUrl: (kind) => downloadUrl('/imports/templates/' + kind),
  problemsUrl: (id) => downloadUrl('/imports/' + id + '/problems.xlsx'),
}

export const campaign = {
  progress: (params) => http.get('/progress', params),
  targets: (params) => http.get('/targets', params),
  weekly: (params) => http.get('/progress/weekly', params),
  channels: (params) => http.get('/progress/channels', params),
  subsidyByPayer: (params) => http.get('/funds/subsidies', params),
  funds: (params) => http.get('/funds', params),
  // kinds: unpaid, lapsed, subsidised_unenrolled, newborns
  lists: (kind, params) => http.get('/lists/' + kind, params),
  notice: (params) => http.get('/notices', params),
  noticePrintUrl: (params) => downloadUrl('/notices', { ...params, format: 'html' }),
  reconciliations: (params) => http.get('/reconciliations', params),
  reconciliation: (id, params) => http.get('/reconciliations/' + id, params),
  // multipart: files `tax` (required) and `treasury` (optional), field `year`
  runReconciliation: (form) => http.upload('/reconciliations', form),
  rerunReconciliation: (id) => http.post('/reconciliations/' + id + '/rerun'),
  reportWeekly: (params) => http.get('/reports/weekly', params),
  reportProgress: (params) => http.get('/reports/progress', params),
  exportUrl: (path, params) => downloadUrl(path, { ...params, format: 'xlsx' }),
}

export const policies = {
  list: () => http.get('/policies'),
  get: (id) => http.get('/policies/' + encodeURIComponent(id)),
  diff: (a, b) => http.get('/policies/diff', { a, b }),
  whatif: (body) => http.post('/policies/whatif', body),
}

export const users = {
  list: (params) => http.get('/users', params),
  create: (body) => http.post('/users', body),
  resetPassword: (id) => http.post('/users/' + id + '/reset-password'),
  disable: (id) => http.post('/users/' + id + '/disable'),
}

export const audit = {
  list: (params) => http.get('/audit', params),
}

export const publicApi = {
  status: (params) => http.get('/public/status', params, { quiet401: true }),
  receiptCheck: (params) => http.get('/public/receipt-check', params, { quiet401: true }),
  health: () => http.get('/health', null, { quiet401: true }),
}

// Field collection (issue 14): a collector's households, what each member owes, the whole-household
// payment, the daily handover (日结) and the ledger export.
export const collect = {
  // {q, year, page, page_size} → {items:[{household, region, region_name, head_name, members, owing, paid, total_due_fen}], total}
  households: (params) => http.get('/households', params),
  // → {household, region, region_name, year, phone, members:[{person, name, id_last4, categories, subsidies, individual_due_fen, status, status_label, receipt_no?}], total_due_fen}
  due: (id, year) => http.get('/households/' + encodeURIComponent(id) + '/due', { year }),
  // {idempotency_key, year, channel, paid_on?, members?} → 201 {payments, receipts, total_fen, household}
  payHousehold: (id, body) => http.post('/households/' + encodeURIComponent(id) + '/payments', body),
  // {date, collector?} → a collector's day, or (bureau, no collector) {date, collectors:[…], count, total_fen}
  daily: (params) => http.get('/collections/daily', params),
  dailyExportUrl: (params) => downloadUrl('/collections/daily', { ...params, format: 'xlsx' }),
  // the ledger (GET /payments filters) as .xlsx
  paymentsExportUrl: (params) => downloadUrl('/payments/export', params),
}
