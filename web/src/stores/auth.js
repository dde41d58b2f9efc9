import { defineStore } from 'pinia'
import { auth as authApi, regions as regionsApi } from '../api'
import { setCsrf } from '../api/http'
import { menuFor, can } from '../router/menu'
import { clearAll as clearOffline, rememberedUser, syncNow, unsyncedCount } from '../offline'

export const useAuthStore = defineStore('auth', {
  state: () => ({
    user: null,
    checked: false, // /auth/me answered once
    region: '', // region selected in the top bar (inside user.region)
    regionName: '',
    regionOptions: [],
    offlineSession: false, // opened without network: the user last seen online (offline/)
  }),
  getters: {
    loggedIn: (s) => !!s.user,
    role: (s) => (s.user ? s.user.role : ''),
    menu: (s) => (s.user ? menuFor(s.user.role) : []),
    mustChangePassword: (s) => !!(s.user && s.user.must_change_password),
  },
  actions: {
    can(action) {
      return can(this.role, action)
    },
    setSession(data) {
      this.offlineSession = false
      this.user = data.user
      setCsrf(data.csrf_token)
      this.checked = true
      if (!this.region || !this.region.startsWith(data.user.region)) {
        this.region = data.user.region
        this.regionName = data.user.region_name || data.user.region
      }
    },
    // The server's user object may lack region_name: look it up once in /regions.
    async ensureRegionName() {
      const u = this.user
      if (!u || u.region_name) return
      try {
        const data = await regionsApi.list(u.region)
        const me = ((data && data.items) || []).find((r) => r.code === u.region)
        if (me) {
          this.user = { ...u, region_name: me.name }
          if (this.region === u.region) this.regionName = me.name
        }
      } catch {
        /* keep the code */
      }
    },
    async fetchMe() {
      try {
        const data = await authApi.me()
        this.setSession(data)
        await this.ensureRegionName()
      } catch (e) {
        this.user = null
        // No network (status 0): the collector goes on with the cached data as the last user.
        const u = e && e.status === 0 ? await rememberedUser() : null
        if (u) {
          this.user = u
          this.offlineSession = true
          if (!this.region) {
            this.region = u.region
            this.regionName = u.region_name || u.region
          }
        }
      }
      this.checked = true
      return this.user
    },
    async login(username, password) {
      const data = await authApi.login(username, password)
      this.region = ''
      this.setSession(data)
      await this.ensureRegionName()
      return this.user
    },
    /**
     * Log out; the offline data (cached households, payment queue) leaves with the user. Payments
     * the server does not have yet are dropped only when the caller says so (after asking the
     * collector, layout/confirmLogout.js): otherwise nothing happens → {loggedOut: false, unsynced}.
     */
    async logout({ discardUnsynced = false } = {}) {
      try {
        await syncNow()
      } catch {
        /* offline: counted below */
      }
      let unsynced = 0
      try {
        unsynced = await unsyncedCount()
      } catch {
        /* no IndexedDB: nothing queued */
      }
      if (unsynced && !discardUnsynced) return { loggedOut: false, unsynced }
      try {
        await authApi.logout()
      } catch {
        /* already gone */
      }
      try {
        await clearOffline()
      } catch {
        /* no IndexedDB */
      }
      this.clear()
      return { loggedOut: true, unsynced }
    },
    clear() {
      this.offlineSession = false
      this.user = null
      this.region = ''
      this.regionOptions = []
      setCsrf('')
    },
    async changePassword(oldPw, newPw) {
      await authApi.changePassword(oldPw, newPw)
      if (this.user) this.user = { ...this.user, must_change_password: false }
    },
    selectRegion(code, name) {
      if (!this.user || !String(code).startsWith(this.user.region)) return false
      this.region = code
      this.regionName = name || code
      return true
    },
    async loadRegions() {
      if (!this.user) return []
      try {
        const data = await regionsApi.list(this.user.region)
        this.regionOptions = (data && data.items) || []
      } catch {
        this.regionOptions = []
      }
      return this.regionOptions
    },
  },
})
