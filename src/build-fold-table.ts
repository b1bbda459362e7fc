/**
 * `npm run build` runs this after tsc: it saves the fold table beside the compiled code (fold-file.ts),
 * so boilerstrip does not build it at every start. Built here, not read: a stale file is never copied.
 */
import fs from 'node:fs';
import { buildFoldTable, foldTableStamp } from './normalize.js';
import { FOLD_FILE, foldTableBytes } from './fold-file.js';

const tmp = `${FOLD_FILE}.${process.pid}`;
const stamp = foldTableStamp();
if (stamp === null) throw new Error('cannot read the compiled normalize.js to stamp the fold table');
fs.writeFileSync(tmp, foldTableBytes(buildFoldTable(), stamp));
fs.renameSync(tmp, FOLD_FILE);
