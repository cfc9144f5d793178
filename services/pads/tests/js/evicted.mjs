// An anonymous editor of a link pad is disconnected when the pad becomes private, and is
// refused when it reconnects.
import { editor, synced, until, done, fail } from './lib.mjs'

const [wsBase, pad] = process.argv.slice(2)
try {
  const e = editor(wsBase, pad)
  let reason = null
  console.warn = (message) => { reason = String(message) }
  let closeCode = null
  e.provider.on('connection-close', event => { if (closeCode === null && event) closeCode = event.code })
  await synced(e, 'editor')
  console.log('ready')
  await until('refused after the change', () => reason !== null)
  e.provider.destroy()
  done({ closeCode, reason })
} catch (error) { fail(error) }
