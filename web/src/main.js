import { createApp } from 'vue'
import { createPinia } from 'pinia'
import ElementPlus from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import 'element-plus/dist/index.css'
import * as Icons from '@element-plus/icons-vue'
import { ElMessage } from 'element-plus'
import App from './App.vue'
import { makeRouter } from './router'
import { setHandlers } from './api/http'
import { useAuthStore } from './stores/auth'
import { startOffline } from './offline/boot'
import './styles.css'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
const router = makeRouter(pinia)
app.use(router)
app.use(ElementPlus, { locale: zhCn })
for (const [k, c] of Object.entries(Icons)) app.component(k, c)

let redirecting = false
setHandlers({
  unauthorized(err) {
    const store = useAuthStore(pinia)
    const cur = router.currentRoute.value
    if (cur.meta.public || redirecting) return
    redirecting = true
    store.clear()
    ElMessage.warning(err.code === 'session_expired' ? '登录已过期，请重新登录' : '请先登录')
    router.push({ name: 'login', query: { redirect: cur.fullPath } }).finally(() => (redirecting = false))
  },
  passwordChange() {
    router.push({ name: 'password' })
  },
})

app.mount('#app')

// PWA: service worker (built app only), remembered user, payment queue sync on start and `online`.
startOffline({ store: useAuthStore(pinia), serviceWorker: import.meta.env.PROD })
