// 退出登录 with the offline queue in mind: payments collected on this phone and not yet on the
// server would be deleted with the user's offline data, and the cash is already in the
// collector's hand — so logout tries to sync first, and if anything is left it says how many
// and offers to stay. Only an explicit confirm drops them.
import { ElMessageBox } from 'element-plus'
import { isOnline, syncNow, unsyncedCount } from '../offline'

async function count() {
  try {
    return await unsyncedCount()
  } catch {
    return 0 // no IndexedDB: nothing can be queued
  }
}

/** The question for n unsynced payments (also used by the tests). */
export function unsyncedMessage(n) {
  return `本手机上还有 ${n} 笔缴费尚未同步到服务器。退出登录会把这 ${n} 笔缴费从本手机上删除，且无法恢复。建议留在系统中，联网后点「立即同步」。`
}

/**
 * Ask, then log out. → true when logged out (the caller goes to /login), false when the user
 * stays. `confirm` is ElMessageBox.confirm (rejects on 取消/close).
 */
export async function confirmLogout(store, { confirm = ElMessageBox.confirm.bind(ElMessageBox) } = {}) {
  let n = await count()
  if (n && isOnline()) {
    await syncNow().catch(() => {})
    n = await count()
  }
  try {
    if (n)
      await confirm(unsyncedMessage(n), `有 ${n} 笔缴费未同步`, {
        type: 'warning',
        confirmButtonText: `仍然退出（删除 ${n} 笔）`,
        cancelButtonText: '留在系统',
        confirmButtonClass: 'el-button--danger',
        customClass: 'logout-unsynced',
        distinguishCancelAndClose: true,
        closeOnClickModal: false,
      })
    else await confirm('确定退出系统吗？', '提示', { type: 'warning', confirmButtonText: '确定', cancelButtonText: '取消' })
  } catch {
    return false
  }
  const r = await store.logout({ discardUnsynced: n > 0 })
  // something was queued between the question and now: ask again rather than drop it
  if (r && r.loggedOut === false) return confirmLogout(store, { confirm })
  return true
}
