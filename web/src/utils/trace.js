// Turns the assessment engine's trace ({rule, cite, outcome}) into rows a person can read.

const RULE_GROUPS = [
  [/^eligibility/, '参保资格'],
  [/^standard/, '缴费标准'],
  [/^subsidy\./, '资助参保'],
  [/^combine/, '就高不就低'],
  [/^window\./, '缴费期'],
  [/^coverage/, '待遇享受期'],
  [/^waiting/, '等待期'],
  [/^household/, '整户参保'],
  [/^unspecified/, '需本地配置'],
]

/** Split a cite into 文号 (document reference) and section: "贵医保组〔2023〕1号 附件1 三.1" →
 *  {doc: "贵医保组〔2023〕1号", section: "附件1 三.1"}. */
export function splitCite(cite) {
  if (!cite) return { doc: '', section: '' }
  const s = String(cite).trim()
  const i = s.search(/\s/)
  if (i < 0) return { doc: s, section: '' }
  return { doc: s.slice(0, i), section: s.slice(i).trim() }
}

/** Which group a rule id belongs to (Chinese label). */
export function ruleGroup(rule) {
  const r = String(rule || '')
  for (const [re, name] of RULE_GROUPS) if (re.test(r)) return name
  return '其他'
}

/** Classify an outcome, following the engine's wording (src/assess/engine.cc):
 *  'skipped' 不适用…, 'beaten' 符合但未采用/不适用/无需配置…, 'conflict' 冲突…,
 *  'open' …需本地配置, 'refused' 不符合… / 缴费日…不在…征缴期内, 'projected' 未缴费：按…预计,
 *  'applied' otherwise. */
export function outcomeKind(outcome) {
  const o = String(outcome || '')
  if (/^不适用/.test(o)) return 'skipped'
  if (/^冲突/.test(o)) return 'conflict'
  if (/^符合但/.test(o)) return 'beaten'
  if (/需本地配置/.test(o)) return 'open'
  if (/^不符合|不在本人适用的征缴期/.test(o)) return 'refused'
  if (/^未缴费/.test(o)) return 'projected'
  return 'applied'
}

export const KIND_META = {
  applied: { label: '适用', type: 'success' },
  skipped: { label: '不适用', type: 'info' },
  beaten: { label: '未采用', type: 'warning' },
  conflict: { label: '冲突', type: 'danger' },
  open: { label: '需本地配置', type: 'warning' },
  refused: { label: '不符合', type: 'danger' },
  projected: { label: '预计', type: 'primary' },
}

/** Find yuan amounts in a text, e.g. "个人缴费标准380.00元" → ["380.00"]. */
export function amountsIn(text) {
  const out = []
  const re = /(\d+(?:\.\d{1,2})?)\s*元/g
  let m
  while ((m = re.exec(String(text || '')))) out.push(m[1])
  return out
}

/** Readable rows for a trace. Keeps the engine's order; adds group, kind, doc, section. */
export function traceRows(trace) {
  if (!Array.isArray(trace)) return []
  return trace.map((t, i) => {
    const { doc, section } = splitCite(t.cite)
    const kind = outcomeKind(t.outcome)
    return {
      index: i + 1,
      rule: t.rule || '',
      group: ruleGroup(t.rule),
      outcome: t.outcome || '',
      cite: t.cite || '',
      doc,
      section,
      kind,
      kindLabel: KIND_META[kind].label,
      kindType: KIND_META[kind].type,
      amounts: amountsIn(t.outcome),
    }
  })
}

/** The rows that decided the answer (everything but 不适用), for the compact view. */
export function decisiveRows(trace) {
  return traceRows(trace).filter((r) => r.kind !== 'skipped')
}
