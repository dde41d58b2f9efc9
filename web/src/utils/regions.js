/** Direct children of `parent` in a region list that may hold the whole subtree
 *  (GET /regions?under= answers every level): the descendants with the shortest code. */
export function childRegions(items, parent) {
  const desc = (items || []).filter((r) => r.code !== parent && String(r.code).startsWith(parent))
  if (!desc.length) return []
  const len = Math.min(...desc.map((r) => r.code.length))
  return desc.filter((r) => r.code.length === len)
}
