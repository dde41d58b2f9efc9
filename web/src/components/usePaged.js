import { reactive, ref } from 'vue'

// Paginated list state for a table: items/total/page/page_size + loading + error message.
// `fetcher(params)` returns {items, total} (docs/api.md pagination). A failure leaves an empty
// table with `error` = the API's Chinese message; `missing` is also set for 404/405/501.
export function usePaged(fetcher, initial = {}) {
  const items = ref([])
  const total = ref(0)
  const loading = ref(false)
  const error = ref('')
  const missing = ref(false)
  const pager = reactive({ page: 1, page_size: initial.page_size || 20 })

  async function load(extra = {}) {
    loading.value = true
    error.value = ''
    try {
      const data = await fetcher({ ...extra, page: pager.page, page_size: pager.page_size })
      items.value = (data && data.items) || []
      total.value = (data && (data.total ?? data.items?.length)) || 0
      missing.value = false
    } catch (e) {
      items.value = []
      total.value = 0
      missing.value = e.status === 404 || e.status === 405 || e.status === 501
      error.value = e.message
    } finally {
      loading.value = false
    }
  }
  return { items, total, loading, error, missing, pager, load }
}
