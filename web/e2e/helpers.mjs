import { chromium } from 'playwright-core'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const BASE = process.env.CANBAO_URL || 'http://127.0.0.1:8080'
export const USERS = JSON.parse(process.env.CANBAO_USERS || '{}')
const here = path.dirname(fileURLToPath(import.meta.url))
export const SHOTS = path.join(here, 'screenshots')

export async function launch() {
  const dir = mkdtempSync(path.join(tmpdir(), 'canbao-chromium-'))
  const browser = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    viewport: { width: 1440, height: 900 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    acceptDownloads: true,
  })
  browser._dir = dir
  return browser
}

export async function close(ctx) {
  await ctx.close()
  rmSync(ctx._dir, { recursive: true, force: true })
}

export async function shot(page, name, opts = {}) {
  await page.waitForTimeout(opts.wait ?? 400)
  if (opts.fullPage ?? true) await page.evaluate(() => window.scrollTo(0, 0)) // sticky header/menu at their place
  await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: opts.fullPage ?? true })
}

export async function login(page, username) {
  const u = USERS[username]
  if (!u) throw new Error('no demo user ' + username)
  await page.goto(BASE + '/login')
  await page.fill('input[name=username]', username)
  await page.fill('input[name=password]', u.password)
  await page.click('[data-test=login-submit]')
  await page.waitForURL((url) => !url.pathname.startsWith('/login'), { timeout: 15000 })
}

/** JSON API call inside the page's session (cookie + CSRF from /auth/me). */
export async function api(page, method, p, body) {
  return page.evaluate(
    async ({ method, p, body }) => {
      const me = await fetch('/api/v1/auth/me').then((r) => r.json()).catch(() => ({}))
      const headers = { Accept: 'application/json' }
      if (body !== undefined) headers['Content-Type'] = 'application/json'
      if (method !== 'GET' && me.csrf_token) headers['X-CSRF-Token'] = me.csrf_token
      const r = await fetch('/api/v1' + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
      let data = null
      try {
        data = await r.json()
      } catch {
        data = null
      }
      return { status: r.status, data }
    },
    { method, p, body },
  )
}

/** Text of a dashboard stat card, as an integer (commas removed). */
export async function statNumber(page, key) {
  const t = await page.locator(`[data-test=stat-${key}] .stat-value`).innerText()
  return Number(t.replace(/[^\d.-]/g, ''))
}

// The runner's control endpoint (run.mjs): kill the server and start it again on the same
// database and port. Absent when the tests run against a server that run.mjs did not start.
export const CONTROL = process.env.E2E_CONTROL || ''

async function control(action) {
  if (!CONTROL) throw new Error('no E2E_CONTROL: run the tests through e2e/run.mjs')
  const r = await fetch(CONTROL + '/' + action, { method: 'POST' })
  const body = await r.json().catch(() => ({}))
  if (!r.ok) throw new Error(`server ${action}: ${body.error || r.status}`)
  return body
}
/** SIGKILL the server (no clean shutdown) and wait until the process is gone. → {killed} */
export const killServer = () => control('kill')
/** Start it again on the same database file and port; resolves once it answers. → {url} */
export const startServer = () => control('start')
