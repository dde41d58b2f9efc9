// Mapping of the policy API (GET /policies/{id}, /policies/diff, POST /policies/whatif) to the
// readable tables of the 政策 pages. Tolerant of the Policy struct's own names (individual_standard,
// *_source {cite, note}) and of the shorter names proposed in API-NEEDS.md (standard_fen, *_cite).

const first = (...vs) => {
  for (const v of vs) if (v !== undefined && v !== null) return v
  return null
}
const fenOf = (...vs) => {
  for (const v of vs) if (Number.isInteger(v)) return v
  return null
}
/** {cite, note} from a `*_source` object, a `*_cite` string or a `cite`/`source` field. */
export function sourceOf(obj, prefix) {
  if (!obj) return { cite: '', note: '' }
  const src = (prefix ? obj[prefix + '_source'] : null) || obj.source || null
  const cite = first(prefix ? obj[prefix + '_cite'] : null, src && typeof src === 'object' ? src.cite : null, typeof src === 'string' ? src : null, prefix ? null : obj.cite) || ''
  const note = first(prefix ? obj[prefix + '_note'] : null, src && typeof src === 'object' ? src.note : null, prefix ? null : obj.note) || ''
  return { cite, note }
}

const MODE_LABELS = { paid_on_behalf: '代缴', reimbursed: '先缴后补', exempt: '免缴' }

/** Start of benefits (CoverageStart ids of src/policy/policy.h) in words. */
export const COVERAGE_START = {
  period_start: '待遇享受期起始日起',
  later_of_period_and_day_after_payment: '缴费次日起（不早于待遇享受期起始日）',
  event_date: '自事件发生之日（如出生之日）起',
  payment_month: '缴费当月起',
  day_after_payment: '缴费次日起',
  after_waiting: '等待期满次日起',
  unspecified: '文件未规定',
}
const coverageText = (c) => (c ? COVERAGE_START[c] || c : '')

export const REFUND_RULES = {
  allowed: '可办理退费',
  not_after_coverage_start: '待遇享受期开始后不予退费',
  unspecified: '文件未规定',
}

/** A policy list item: {id, jurisdiction, region, year, document, title}. */
export function policyItem(p) {
  return {
    id: p.id,
    jurisdiction: p.jurisdiction || p.name || p.id,
    region: p.region || '',
    year: p.year || '',
    document: p.document || '',
    title: p.title || '',
    label: `${p.jurisdiction || p.id}${p.year ? ' ' + p.year + '年度' : ''}`,
  }
}

function windowRow(w) {
  const [lo, hi] = Array.isArray(w.days_of_month) ? w.days_of_month : [w.day_min, w.day_max]
  const days = Number.isInteger(lo) && Number.isInteger(hi) && (lo > 1 || hi < 31) ? `每月${lo}—${hi}日` : w.days_text || ''
  const applies = w.for && w.for !== '所有人' ? w.for : ''
  return { id: w.id || '', label: w.label || w.id || '', open: w.open || '', close: w.close || '', days, applies, coverage: coverageText(w.coverage), ...sourceOf(w) }
}

function subsidyRow(r) {
  const unspecified = r.kind === 'unspecified' || !!r.unspecified_reason
  const amount = unspecified ? null : fenOf(r.amount_fen, r.fen, r.amount)
  return {
    id: r.id || '',
    label: r.label || r.id || '',
    categories: r.categories || [],
    condition: first(r.condition, r.condition_text, r.when_text, typeof r.when === 'string' ? r.when : null) || '',
    amount_fen: amount,
    amount_text: unspecified ? '需本地配置' : r.amount_text || '',
    individual_fen: fenOf(r.individual_fen, r.individual_due_fen),
    individual_text: r.individual_text || '',
    payers: (r.payers || []).map((p) => ({ payer: p.payer || p.name || '', fen: fenOf(p.fen, p.amount_fen, p.amount) })),
    mode: r.mode || '',
    mode_label: r.mode_label || MODE_LABELS[r.mode] || r.mode || '',
    // list_as_of is null where the rule reads no department list (birth date, hukou); older servers send only as_of.
    list_as_of: ('list_as_of' in r ? r.list_as_of : r.as_of) || '',
    unspecified_reason: r.unspecified_reason || '',
    ...sourceOf(r),
  }
}

/** GET /policies/{id} → the sections the 政策文件 page shows. */
export function policyView(p) {
  if (!p) return null
  const cov = p.coverage || p.coverage_period || {}
  const covSrc = p.coverage && p.coverage.cite ? { cite: p.coverage.cite, note: p.coverage.note || '' } : sourceOf(p, 'coverage')
  const combine = p.combine || {}
  const subsidies = (p.subsidies || []).map(subsidyRow)
  const unspecified = (p.unspecified || []).map((u) => ({ id: u.id || '', label: u.label || u.id || '', reason: u.reason || u.unspecified_reason || '', ...sourceOf(u) }))
  for (const s of subsidies) if (s.unspecified_reason && !unspecified.some((u) => u.id === s.id)) unspecified.push({ id: s.id, label: s.label, reason: s.unspecified_reason, cite: s.cite, note: s.note })
  const fiscal = fenOf(p.fiscal_fen, p.fiscal_subsidy_fen, p.fiscal_per_person_fen)
  const standard = fenOf(p.standard_fen, p.individual_standard_fen)
  return {
    id: p.id,
    title: p.title || '',
    jurisdiction: p.jurisdiction || '',
    region: p.region || '',
    year: p.year || '',
    document: p.document || '',
    standard_fen: standard,
    standard: sourceOf(p, 'standard'),
    fiscal_fen: fiscal,
    fiscal: sourceOf(p, 'fiscal'),
    total_per_person_fen: standard !== null && fiscal !== null ? standard + fiscal : fenOf(p.total_per_person_fen),
    fiscal_split: (p.fiscal_split || []).map((s) => ({ name: s.name || s.level || '', share_text: s.share_text || s.share || '', fen: fenOf(s.fen, s.amount_fen, s.per_person_fen, s.amount) })),
    agent_fee_fen: fenOf(p.agent_fee_fen, p.agent_fee_per_person_fen),
    agent_fee: sourceOf(p, 'agent_fee'),
    coverage: { start: cov.start || cov.first || '', end: cov.end || cov.last || '', ...covSrc },
    combine: { label: combine.label || '就高不就低，不重复资助', cite: combine.cite || sourceOf(p, 'combine').cite, note: combine.note || sourceOf(p, 'combine').note },
    windows: (p.windows || []).map(windowRow),
    late_paths: (p.late_paths || []).map((l) => ({ id: l.id || '', label: l.label || l.id || '', condition: first(l.condition, l.condition_text, typeof l.when === 'string' ? l.when : null) || '', coverage: l.coverage_label || coverageText(l.coverage), waiting_months: l.waiting_months || 0, accept_until: l.accept_until || '', ...sourceOf(l) })),
    stages: (p.stages || []).map((s) => ({ id: s.id || '', label: s.label || s.id || '', start: s.start || s.from || s.first || (s.range && s.range.first) || '', end: s.end || s.to || s.last || (s.range && s.range.last) || '', ...sourceOf(s) })),
    refund: p.refund ? { rule: p.refund.rule || '', text: p.refund.text || REFUND_RULES[p.refund.rule] || p.refund.rule || '', cite: p.refund.cite || '', note: p.refund.note || '' } : null,
    eligibility: p.eligibility ? { ...sourceOf(p.eligibility), text: p.eligibility.text || '', places: p.eligibility.hukou_or_residence_in || [], regardless: p.eligibility.regardless_of_place || [], excluded: p.eligibility.excluded || [] } : null,
    family_account: p.family_account ? { allowed: !!p.family_account.allowed, text: p.family_account.text || (p.family_account.allowed ? '可通过家庭共济账户缴费' : '文件未规定'), cite: p.family_account.cite || '', note: p.family_account.note || '' } : null,
    remarks: (p.remarks || []).map((r) => sourceOf(r)),
    registration: p.registration ? { text: p.registration.text || '', cite: p.registration.cite || '', note: p.registration.note || '' } : null,
    subsidies,
    unspecified,
    targets: (p.targets || []).map((t) => ({ unit: t.unit || '', region: t.region || '', target: Number.isInteger(t.target) ? t.target : null, extra: t.extra || {} })),
    targets_cite: sourceOf(p, 'targets').cite,
  }
}

/** GET /policies/diff → rows {section, left, right, differs}. */
export function diffRows(d) {
  const list = Array.isArray(d) ? d : (d && (d.rows || d.items)) || []
  return list.map((r) => ({ section: r.section || '', left: r.left ?? '', right: r.right ?? '', differs: !!r.differs }))
}

/** POST /policies/whatif → money per payer (base, variant, change) and the rule moves, labelled. */
export function whatIfView(r, rules = []) {
  if (!r) return null
  const label = (id) => {
    if (!id) return '无资助'
    const s = rules.find((x) => x.id === id)
    return s ? s.label : id
  }
  let payers
  if (Array.isArray(r.payers)) payers = r.payers.map((p) => ({ payer: p.payer, base: fenOf(p.base_fen) ?? 0, variant: fenOf(p.variant_fen) ?? 0, change: fenOf(p.change_fen) ?? (fenOf(p.variant_fen) ?? 0) - (fenOf(p.base_fen) ?? 0) }))
  else {
    const b = (r.base && r.base.by_payer) || {}
    const v = (r.variant && r.variant.by_payer) || {}
    payers = [...new Set([...Object.keys(b), ...Object.keys(v)])].map((payer) => ({ payer, base: b[payer] ?? 0, variant: v[payer] ?? 0, change: (v[payer] ?? 0) - (b[payer] ?? 0) }))
  }
  const base = r.base || {}
  const variant = r.variant || {}
  const indBase = fenOf(base.individual_total_fen)
  const indVar = fenOf(variant.individual_total_fen)
  return {
    persons: r.persons ?? null,
    due_changed: r.due_changed ?? null,
    pay_more: r.pay_more ?? null,
    pay_less: r.pay_less ?? null,
    base,
    variant,
    individual_base_fen: indBase,
    individual_variant_fen: indVar,
    individual_change_fen: fenOf(r.individual_change_fen) ?? (indBase !== null && indVar !== null ? indVar - indBase : null),
    payers,
    moves: (r.moves || []).map((m) => ({ from: m.from || null, to: m.to || null, from_label: label(m.from), to_label: label(m.to), persons: m.persons })),
    changes: (r.changes || []).map((c) => ({ rule: c.rule, label: c.label || label(c.rule), from_fen: fenOf(c.from_fen), to_fen: fenOf(c.to_fen) })),
    scope: r.scope || '',
    as_of: r.as_of || '',
  }
}
