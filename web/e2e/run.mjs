#!/usr/bin/env node
// End-to-end runner: starts a real `canbao serve --demo` on a free loopback port with a fresh
// temporary database, serving this folder's dist/, then runs the browser tests (node:test +
// playwright-core driving Debian's /usr/bin/chromium), then stops the server.
//
//   node e2e/run.mjs [NAME…]   only the test files whose name contains one of NAME (e.g. offline)
//   CANBAO_BIN   server binary (default ../build/release/canbao relative to web/)
//   CHROMIUM     browser binary (default /usr/bin/chromium)
//   E2E_KEEP=1   keep the temp directory (database, server log)
//
// Tests may kill the server and start it again (helpers.mjs: killServer / startServer): a small
// control endpoint on loopback (E2E_CONTROL) does it here, because the runner owns the process.
// A restart uses the same database file and the same port, so the browser's origin, cookies,
// service worker and IndexedDB stay those of the page under test.
import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:http'
import { mkdtempSync, existsSync, rmSync, mkdirSync, createWriteStream, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const web = path.resolve(here, '..')
const repo = path.resolve(web, '..')
const bin = path.resolve(web, process.env.CANBAO_BIN || '../build/release/canbao')
const chromium = process.env.CHROMIUM || '/usr/bin/chromium'

function die(msg) {
  console.error('e2e: ' + msg)
  process.exit(1)
}
if (!existsSync(bin)) die(`server binary not found: ${bin} (set CANBAO_BIN)`)
if (!existsSync(chromium)) die(`chromium not found: ${chromium} (apt-get install -y chromium)`)
if (!existsSync(path.join(web, 'dist', 'index.html'))) {
  console.log('e2e: building web/dist')
  const b = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: web, stdio: 'inherit' })
  if (b.status !== 0) die('vite build failed')
}

const tmp = mkdtempSync(path.join(tmpdir(), 'canbao-e2e-'))
mkdirSync(path.join(here, 'screenshots'), { recursive: true })
const log = createWriteStream(path.join(tmp, 'server.log'))
const db = path.join(tmp, 'demo.db')
const serveArgs = (port) => ['serve', '--demo', '--db', db, '--port', String(port), '--bind', '127.0.0.1', '--web', path.join(web, 'dist'), '--policies', path.join(repo, 'policies', '2024')]

let server = null // the running child
let out = '' // its stdout so far
let port = 0 // 0 until the first start picked one; then every restart binds the same

/** Start `canbao serve` and wait until it has printed its address and the demo users. → url or null */
function startOnce(timeoutMs) {
  const args = serveArgs(port)
  console.log('e2e: starting', bin, args.join(' '))
  log.write(`\n--- start ${new Date().toISOString()} ${args.join(' ')}\n`)
  const child = spawn(bin, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] })
  server = child
  out = ''
  child.stdout.on('data', (d) => {
    out += d
    log.write(d)
  })
  child.stderr.on('data', (d) => log.write(d))
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(null), timeoutMs)
    const check = () => {
      const m = /canbao serve: (http:\/\/[^\s]+?)\/? \(/.exec(out)
      // wait until the demo users have been printed too (same flush)
      if (m && /demo user/.test(out)) {
        clearTimeout(t)
        resolve(m[1])
      }
    }
    child.stdout.on('data', check)
    child.on('exit', () => {
      clearTimeout(t)
      resolve(null)
    })
  })
}

async function startServer() {
  // the port just freed by a SIGKILL may still be refused for a moment: a few tries
  for (let i = 0; i < 5; i++) {
    const url = await startOnce(port ? 60_000 : 300_000)
    if (url) {
      port = Number(new URL(url).port)
      return url
    }
    if (!port) return null
    await new Promise((r) => setTimeout(r, 500 * (i + 1)))
  }
  return null
}

/** SIGKILL (no clean shutdown: whatever was not committed is gone) and wait for the exit. */
async function killServer(signal = 'SIGKILL') {
  const child = server
  if (!child || child.exitCode !== null || child.signalCode !== null) return false
  const gone = new Promise((r) => child.once('exit', r))
  child.kill(signal)
  await gone
  return true
}

function stopServer() {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGTERM')
}
process.on('exit', stopServer)
process.on('SIGINT', () => process.exit(130))
process.on('SIGTERM', () => process.exit(143))

const started = await startServer()
if (!started) {
  stopServer()
  die('server did not start; log: ' + path.join(tmp, 'server.log'))
}
const users = {}
for (const m of out.matchAll(/demo user (\S+)\s+password (\S+)\s+role (\S+)\s+region (\S+)/g)) users[m[1]] = { password: m[2], role: m[3], region: m[4] }
console.log(`e2e: server at ${started}, ${Object.keys(users).length} demo users`)

// POST /kill | /start | /restart → {killed?, url?} (200) or {error} (500)
const control = createServer(async (req, res) => {
  const reply = (status, body) => {
    res.writeHead(status, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  try {
    const action = new URL(req.url, 'http://x').pathname.slice(1)
    if (req.method !== 'POST') return reply(405, { error: 'POST only' })
    const body = {}
    if (action === 'kill' || action === 'restart') body.killed = await killServer()
    if (action === 'start' || action === 'restart') {
      const url = await startServer()
      if (!url) return reply(500, { error: 'server did not start again; log: ' + path.join(tmp, 'server.log') })
      if (url !== started) return reply(500, { error: `restarted at ${url}, not ${started}` })
      body.url = url
    }
    if (!['kill', 'start', 'restart'].includes(action)) return reply(404, { error: 'unknown action ' + action })
    reply(200, body)
  } catch (e) {
    reply(500, { error: String(e) })
  }
})
await new Promise((r) => control.listen(0, '127.0.0.1', r))
const controlUrl = `http://127.0.0.1:${control.address().port}`

const only = process.argv.slice(2)
const files = readdirSync(here)
  .filter((f) => f.endsWith('.test.mjs') && (!only.length || only.some((o) => f.includes(o))))
  .sort()
  .map((f) => path.join(here, f))
if (!files.length) die('no test file matches ' + only.join(' '))
// asynchronous, so this process keeps answering the control endpoint while the tests run
const status = await new Promise((resolve) => {
  const t = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
    cwd: web,
    stdio: 'inherit',
    env: { ...process.env, CANBAO_URL: started, CANBAO_USERS: JSON.stringify(users), CHROMIUM: chromium, E2E_TMP: tmp, E2E_CONTROL: controlUrl },
  })
  t.on('exit', (code) => resolve(code ?? 1))
})
control.close()
stopServer()
if (server) await new Promise((r) => (server.exitCode !== null || server.signalCode !== null ? r() : server.on('exit', r)))
log.end()
if (process.env.E2E_KEEP) console.log('e2e: kept', tmp)
else rmSync(tmp, { recursive: true, force: true })
console.log(`e2e: screenshots in ${path.join(here, 'screenshots')}`)
process.exit(status)
