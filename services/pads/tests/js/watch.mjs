// Stays connected, says "ready" once synced, and reports the content once it no longer holds
// `gone` (a restore, seen live).
import { editor, synced, until, done, fail } from './lib.mjs'

const [wsBase, pad, gone] = process.argv.slice(2)
try {
  const e = editor(wsBase, pad)
  await synced(e, 'watcher')
  const fragment = e.doc.getXmlFragment('default')
  await until('the content is there', () => fragment.toString().includes(gone))
  console.log('ready')
  await until(`${gone} disappears`, () => !fragment.toString().includes(gone))
  const xml = fragment.toString()
  e.provider.destroy()
  done({ xml })
} catch (error) { fail(error) }
