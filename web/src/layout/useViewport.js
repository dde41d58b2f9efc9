import { onBeforeUnmount, onMounted, ref } from 'vue'

// Phone layout below this width (CSS px): the menu becomes a drawer, tables give way to cards.
export const PHONE_MAX = 768

function matches() {
  if (typeof window === 'undefined') return false
  if (window.matchMedia) return window.matchMedia(`(max-width: ${PHONE_MAX}px)`).matches
  return (window.innerWidth || 1024) <= PHONE_MAX
}

/** A ref that is true on a phone-sized screen and follows resizes/rotation. */
export function useIsPhone() {
  const phone = ref(matches())
  const update = () => (phone.value = matches())
  onMounted(() => {
    update()
    window.addEventListener('resize', update)
  })
  onBeforeUnmount(() => window.removeEventListener('resize', update))
  return phone
}
