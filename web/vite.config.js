import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

// `npm run dev` proxies /api to a running `canbao serve` (CANBAO_URL, default 127.0.0.1:8080).
const target = process.env.CANBAO_URL || 'http://127.0.0.1:8080'
const here = path.dirname(fileURLToPath(import.meta.url))

// PWA: dist/sw.js = src/offline/sw.js with the list of every built file (the app shell) and a
// version hash of their contents, so a new build replaces the cached shell.
function serviceWorker() {
  let outDir
  let publicDir
  return {
    name: 'canbao-service-worker',
    apply: 'build',
    configResolved(c) {
      outDir = path.resolve(c.root, c.build.outDir)
      publicDir = c.publicDir
    },
    writeBundle(_opts, bundle) {
      const files = new Set(Object.keys(bundle).filter((f) => !f.endsWith('.map')))
      const walk = (dir, rel = '') => {
        if (!dir) return
        let names = []
        try {
          names = readdirSync(dir)
        } catch {
          return
        }
        for (const n of names) {
          const full = path.join(dir, n)
          if (statSync(full).isDirectory()) walk(full, rel + n + '/')
          else files.add(rel + n)
        }
      }
      walk(publicDir)
      files.delete('sw.js')
      const list = [...files].sort().map((f) => '/' + f)
      const hash = createHash('sha256')
      for (const f of list) hash.update(f).update(readFileSync(path.join(outDir, f)))
      const version = hash.digest('hex').slice(0, 12)
      const src = readFileSync(path.join(here, 'src/offline/sw.js'), 'utf8')
      const head = `const PRECACHE = ${JSON.stringify(list)};\nconst VERSION = ${JSON.stringify(version)};\n`
      writeFileSync(path.join(outDir, 'sw.js'), head + src)
    },
  }
}

export default defineConfig({
  plugins: [vue(), serviceWorker()],
  base: '/',
  server: { proxy: { '/api': { target, changeOrigin: false } } },
  build: {
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts'
          if (id.includes('node_modules/element-plus')) return 'element-plus'
          if (id.includes('node_modules')) return 'vendor'
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.test.js'],
  },
})
