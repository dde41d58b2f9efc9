// Storage of the offline module: IndexedDB in the browser ("canbao-offline": meta, households,
// queue), an in-memory map where IndexedDB does not exist (Vitest/jsdom, very old browsers).
// Every function is async and works on plain, cloned objects.

const DB_NAME = 'canbao-offline'
const DB_VERSION = 1
export const STORES = { meta: 'k', households: 'household', queue: 'id' }

function memoryBackend() {
  const maps = Object.fromEntries(Object.keys(STORES).map((s) => [s, new Map()]))
  const clone = (v) => (v === undefined ? undefined : structuredClone(v))
  return {
    kind: 'memory',
    async get(store, key) {
      return clone(maps[store].get(key))
    },
    async all(store) {
      return [...maps[store].values()].map(clone)
    },
    async put(store, value) {
      maps[store].set(value[STORES[store]], clone(value))
    },
    async putAll(store, values) {
      for (const v of values) maps[store].set(v[STORES[store]], clone(v))
    },
    async replaceAll(store, values) {
      maps[store].clear()
      for (const v of values) maps[store].set(v[STORES[store]], clone(v))
    },
    async del(store, key) {
      maps[store].delete(key)
    },
    async clear(store) {
      maps[store].clear()
    },
  }
}

function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error)
  })
}

function idbBackend(idb) {
  let opening = null
  function open() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const r = idb.open(DB_NAME, DB_VERSION)
        r.onupgradeneeded = () => {
          const db = r.result
          for (const [name, keyPath] of Object.entries(STORES))
            if (!db.objectStoreNames.contains(name)) db.createObjectStore(name, { keyPath })
        }
        r.onsuccess = () => {
          const db = r.result
          db.onversionchange = () => {
            db.close()
            opening = null
          }
          resolve(db)
        }
        r.onerror = () => {
          opening = null
          reject(r.error)
        }
        r.onblocked = () => {}
      })
    }
    return opening
  }
  // One transaction; resolves when it has committed (so "stored" means durable in the browser).
  async function run(store, mode, fn) {
    const db = await open()
    return new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode)
      const os = tx.objectStore(store)
      let result
      Promise.resolve(fn(os)).then((v) => (result = v), reject)
      tx.oncomplete = () => resolve(result)
      tx.onerror = () => reject(tx.error)
      tx.onabort = () => reject(tx.error || new Error('IndexedDB transaction aborted'))
    })
  }
  return {
    kind: 'indexeddb',
    get: (store, key) => run(store, 'readonly', (os) => req(os.get(key))),
    all: (store) => run(store, 'readonly', (os) => req(os.getAll())),
    put: (store, value) => run(store, 'readwrite', (os) => void os.put(value)),
    putAll: (store, values) => run(store, 'readwrite', (os) => values.forEach((v) => os.put(v))),
    replaceAll: (store, values) =>
      run(store, 'readwrite', (os) => {
        os.clear()
        values.forEach((v) => os.put(v))
      }),
    del: (store, key) => run(store, 'readwrite', (os) => void os.delete(key)),
    clear: (store) => run(store, 'readwrite', (os) => void os.clear()),
  }
}

let backend = globalThis.indexedDB ? idbBackend(globalThis.indexedDB) : memoryBackend()

/** Tests: a fresh in-memory store (or a given backend). */
export function useBackend(b) {
  backend = b || memoryBackend()
  return backend
}
export const backendKind = () => backend.kind
export const get = (s, k) => backend.get(s, k)
export const all = (s) => backend.all(s)
export const put = (s, v) => backend.put(s, v)
export const putAll = (s, v) => backend.putAll(s, v)
export const replaceAll = (s, v) => backend.replaceAll(s, v)
export const del = (s, k) => backend.del(s, k)
export const clear = (s) => backend.clear(s)
