import { ref } from 'vue'
import { policies } from '../../api'
import { policyItem } from '../../utils/policy'

// The loaded policies (GET /policies) as list items; `error` = the API's message on failure.
export function usePolicies() {
  const list = ref([])
  const missing = ref(false)
  const error = ref('')
  async function load() {
    error.value = ''
    try {
      const d = await policies.list()
      list.value = ((d && (d.items || d.policies)) || []).map(policyItem)
    } catch (e) {
      list.value = []
      missing.value = e.status === 404 || e.status === 405
      error.value = e.message
    }
    return list.value
  }
  return { list, missing, error, load }
}
