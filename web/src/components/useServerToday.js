import { ref } from 'vue'
import { publicApi } from '../api'

// The server's business day ("today" may be --today in the demo, replaying the 2023 campaign):
// asked once from GET /health, shared by every caller. Falls back to the browser's date.
let pending = null
const today = ref('')

function localToday() {
  const d = new Date()
  const p = (x) => String(x).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

export function useServerToday() {
  if (!pending) {
    pending = publicApi
      .health()
      .then((h) => (today.value = (h && h.today) || localToday()))
      .catch(() => {
        pending = null
        return (today.value = localToday())
      })
  }
  return { today, ready: pending }
}
