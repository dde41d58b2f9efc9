#!/usr/bin/env node
// End-to-end runner: starts a real `canbao serve --demo` on a free loopback port with a fresh
// temporary database, serving this folder's dist/, then runs the browser tests (node:test +
// playwright-core driving Debian's /usr/bin/chromium), then stops the server.
//
//   CANBAO_BIN   server binary (default ../build/release/canbao relative to web/)
//   CHROMIUM     browser binary (default /usr/bin/chromium)
//   E2E_KEEP=1   keep the temp directory (database, server log)
import { spawn, spawnSync } from 'node:child_process'
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
const args = ['serve', '--demo', '--db', path.join(tmp, 'demo.db'), '--port', '0', '--bind', '127.0.0.1', '--web', path.join(web, 'dist'), '--policies', path.join(repo, 'policies', '2024')]
console.log('e2e: starting', bin, args.join(' '))
const server = spawn(bin, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] })
let out = ''
server.stdout.on('data', (d) => {
  out += d
  log.write(d)
})
server.stderr.on('data', (d) => log.write(d))

function stopServer() {
  if (server.exitCode === null && !server.killed) server.kill('SIGTERM')
}
process.on('exit', stopServer)
process.on('SIGINT', () => process.exit(130))
process.on('SIGTERM', () => process.exit(143))

const started = await new Promise((resolve) => {
  const t = setTimeout(() => resolve(null), 300_000)
  const check = () => {
    const m = /canbao serve: (http:\/\/[^\s]+?)\/? \(/.exec(out)
    // wait until the demo users have been printed too (same flush)
    if (m && /demo user/.test(out)) {
      clearTimeout(t)
      resolve(m[1])
    }
  }
  server.stdout.on('data', check)
  server.on('exit', () => {
    clearTimeout(t)
    resolve(null)
  })
})
if (!started) {
  stopServer()
  die('server did not start; log: ' + path.join(tmp, 'server.log'))
}
const users = {}
for (const m of out.matchAll(/demo user (\S+)\s+password (\S+)\s+role (\S+)\s+region (\S+)/g)) users[m[1]] = { password: m[2], role: m[3], region: m[4] }
console.log(`e2e: server at ${started}, ${Object.keys(users).length} demo users`)

const files = readdirSync(here).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => path.join(here, f))
const t = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  cwd: web,
  stdio: 'inherit',
  env: { ...process.env, CANBAO_URL: started, CANBAO_USERS: JSON.stringify(users), CHROMIUM: chromium, E2E_TMP: tmp },
})
stopServer()
await new Promise((r) => (server.exitCode !== null ? r() : server.on('exit', r)))
log.end()
if (process.env.E2E_KEEP) console.log('e2e: kept', tmp)
else rmSync(tmp, { recursive: true, force: true })
console.log(`e2e: screenshots in ${path.join(here, 'screenshots')}`)
process.exit(t.status ?? 1)
