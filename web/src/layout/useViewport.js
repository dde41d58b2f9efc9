import { onBeforeUnmount, onMounted, ref } from 'vue'

// Phone layout below this width (CSS px): the menu becomes a drawer, tables give way to cards.
export const PHONE_MAX = 768

// Staff tables turn into one card per row at or below this width: a table of 6–10 columns has no
// readable layout on a phone held upright, while a phone on its side or a small tablet (601–768)
// still shows the table, scrolling inside its panel.
export const CARDS_MAX = 600

function matches(max = PHONE_MAX) {
  if (typeof window === 'undefined') return false
  if (window.matchMedia) return window.matchMedia(`(max-width: ${max}px)`).matches
  return (window.innerWidth || 1024) <= max
}

/** A ref that is true on a phone-sized screen and follows resizes/rotation. */
export function useIsPhone(max = PHONE_MAX) {
  const phone = ref(matches(max))
  const update = () => (phone.value = matches(max))
  onMounted(() => {
    update()
    window.addEventListener('resize', update)
  })
  onBeforeUnmount(() => window.removeEventListener('resize', update))
  return phone
}

/** True when list pages should show cards instead of their table (≤ CARDS_MAX px). */
export function useCardView() {
  return useIsPhone(CARDS_MAX)
}
