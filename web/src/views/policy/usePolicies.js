import { ref } from 'vue'
import { policies } from '../../api'

// The loaded policies (GET /policies); empty + missing when the endpoint is not there yet.
export function usePolicies() {
  const list = ref([])
  const missing = ref(false)
  async function load() {
    try {
      const d = await policies.list()
      list.value = (d && d.items) || []
    } catch (e) {
      list.value = []
      missing.value = e.status === 404 || e.status === 405
    }
    return list.value
  }
  return { list, missing, load }
}
