import { createRouter, createWebHistory } from 'vue-router'
import { leafRoutes, canAccess, homePathFor } from './menu'
import { useAuthStore } from '../stores/auth'
import Layout from '../layout/Layout.vue'

const views = import.meta.glob('../views/**/*.vue')

function view(name) {
  const loader = views['../views/' + name + '.vue']
  if (!loader) throw new Error('missing view ' + name)
  return loader
}

export const routes = [
  { path: '/login', name: 'login', component: view('login/Login'), meta: { public: true, title: '登录' } },
  { path: '/password', name: 'password', component: view('login/ChangePassword'), meta: { title: '修改密码' } },
  { path: '/resident', name: 'resident', component: view('public/Resident'), meta: { public: true, title: '参保缴费查询' } },
  {
    path: '/',
    name: 'root',
    component: Layout,
    children: [
      ...leafRoutes().map((r) => ({
        path: r.path.slice(1),
        name: r.name,
        component: view(r.view),
        meta: { title: r.title, parentTitle: r.parentTitle, roles: r.roles },
      })),
      { path: 'profile', name: 'profile', component: view('login/ChangePassword'), meta: { title: '个人中心', inLayout: true } },
      { path: '403', name: 'forbidden', component: view('error/Forbidden'), meta: { title: '无权限' } },
    ],
  },
  { path: '/:pathMatch(.*)*', name: 'notfound', component: view('error/NotFound'), meta: { public: true, title: '页面不存在' } },
]

export function installGuards(router, pinia) {
  router.beforeEach(async (to, from) => {
    const store = useAuthStore(pinia)
    if (to.meta.public) return true
    if (!store.checked) await store.fetchMe()
    if (!store.loggedIn) return { name: 'login', query: { redirect: to.fullPath } }
    if (store.mustChangePassword && to.name !== 'password') return { name: 'password' }
    // the first page by role: collectors start on 征缴 (the login page and the password change
    // send everyone to /dashboard)
    const home = homePathFor(store.role)
    if (to.name === 'root') return home
    if (to.name === 'dashboard' && home !== '/dashboard' && (from.name === 'login' || from.name === 'password')) return home
    if (to.meta.roles && !canAccess(store.role, to.path)) return { name: 'forbidden' }
    return true
  })
  router.afterEach((to) => {
    document.title = (to.meta.title ? to.meta.title + ' - ' : '') + '城乡居民医保参保缴费管理系统'
  })
}

export function makeRouter(pinia) {
  const router = createRouter({ history: createWebHistory(), routes })
  installGuards(router, pinia)
  return router
}
