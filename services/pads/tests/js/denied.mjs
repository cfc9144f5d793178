// A provider that may not open the pad is told so (auth message, permission denied).
import { editor, until, done, fail } from './lib.mjs'

const [wsBase, pad, token] = process.argv.slice(2)
try {
  const e = editor(wsBase, pad, token ? { token } : {})
  let reason = null
  const original = console.warn
  console.warn = (message) => { reason = String(message) }
  await until('permission denied, or synced', () => reason !== null || e.provider.synced)
  console.warn = original
  const synced = e.provider.synced
  e.provider.destroy()
  done({ denied: reason !== null, synced, reason })
} catch (error) { fail(error) }
