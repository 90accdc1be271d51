// Crash-safe file replacement: write a temp file in the same folder, fsync it, rename it over the
// target, then fsync the folder so the rename itself is durable. A crash at any instant leaves either
// the old or the new content, never a torn file.
//
// Written here rather than with write-file-atomic: that library fsyncs the temp file but not the
// folder after the rename (checked in write-file-atomic 7.0.1, lib/index.js), so after a power loss the
// rename can be lost even though the call returned.
import { open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fsyncDir(dir);
}

/** fsync a directory so a rename or a new entry in it survives a power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Some file systems (and Windows) refuse fsync on a directory; the rename is as durable as they allow.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw err;
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** Removes temp files a killed writer left beside `file` (only ours: `.<name>.<pid>.<hex>.tmp`). */
export async function removeStaleTemps(file: string): Promise<void> {
  const prefix = `.${basename(file)}.`;
  let names: string[];
  try {
    names = await readdir(dirname(file));
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(prefix) && /\.\d+\.[0-9a-f]{8}\.tmp$/.test(name))
      await unlink(join(dirname(file), name)).catch(() => {});
  }
}
