// Offline household search over the cached households: name, pinyin initials (张三 → zs),
// last digits of the ID number (only the last 4 are stored), 户号.

function norm(s) {
  return String(s ?? '').trim().toLowerCase()
}

/** Score of one household for the query (0 = no match); higher is better. */
export function scoreHousehold(h, q) {
  q = norm(q)
  if (!q) return 1
  const hid = norm(h.household)
  let best = 0
  const hit = (s) => (best = Math.max(best, s))
  if (hid === q) hit(100)
  else if (q.length >= 3 && hid.includes(q)) hit(60)
  const digits = /^[0-9x]+$/.test(q)
  const letters = /^[a-z]+$/.test(q)
  for (const m of h.members || []) {
    const name = norm(m.name)
    if (name === q) hit(90)
    else if (name.startsWith(q)) hit(80)
    else if (name.includes(q)) hit(50)
    if (letters) {
      const ini = norm(m.initials)
      if (ini === q) hit(85)
      else if (ini.startsWith(q)) hit(70)
    }
    if (digits && q.length <= 4) {
      const last = norm(m.id_last4)
      if (last === q) hit(75)
      else if (last.endsWith(q)) hit(55)
    }
  }
  if (!best && norm(h.region_name).includes(q)) hit(10)
  return best
}

export function searchHouseholds(list, q, limit = 50) {
  const scored = []
  for (const h of list) {
    const s = scoreHousehold(h, q)
    if (s > 0) scored.push([s, h])
  }
  scored.sort((a, b) => b[0] - a[0] || String(a[1].household).localeCompare(String(b[1].household)))
  return scored.slice(0, limit).map(([, h]) => h)
}
