// A read-only connection's edits are refused: the editor never sees them, nor does anyone
// who joins later, while the reader still receives the editor's text.
import { editor, synced, until, done, fail } from './lib.mjs'

const [wsBase, editId, readId] = process.argv.slice(2)
try {
  const writer = editor(wsBase, editId)
  const reader = editor(wsBase, readId)
  await synced(writer, 'writer')
  await synced(reader, 'reader')
  reader.text.insert(0, 'intruder ')
  writer.text.insert(writer.text.length, 'legit')
  await until('the reader receives the text', () => reader.text.toString().includes('legit'))
  // The writer's later edit travels after the reader's refused one: once it has arrived at a
  // new client, the refused one would have too.
  writer.text.insert(writer.text.length, ' end')
  const late = editor(wsBase, editId)
  await synced(late, 'late')
  await until('the late client has the writer\'s text', () => late.text.toString().includes('end'))
  const result = { writer: writer.text.toString(), late: late.text.toString(), reader: reader.text.toString() }
  for (const e of [writer, reader, late]) e.provider.destroy()
  done(result)
} catch (error) { fail(error) }
