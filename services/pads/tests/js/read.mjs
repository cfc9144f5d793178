// Prints the pad's text, once synced.
import { editor, synced, done, fail } from './lib.mjs'

const [wsBase, pad] = process.argv.slice(2)
try {
  const e = editor(wsBase, pad)
  await synced(e, 'reader')
  const text = e.text.toString()
  e.provider.destroy()
  done({ text })
} catch (error) { fail(error) }
