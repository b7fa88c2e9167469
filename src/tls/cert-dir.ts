// Creation of --cert-dir. Node's recursive mkdir can loop forever when a
// parent refuses new entries with ENOENT, as /proc does (seen with Node
// 24.21), so missing directories are created one level at a time.
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { errorCodes, ProductError } from '../errors.ts';

function errorCodeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

// Creates `path` and its missing parents; an existing directory is kept as it is.
async function createDirectory(path: string, mode: number): Promise<void> {
  try {
    await mkdir(path, { mode });
    return;
  } catch (err) {
    const code = errorCodeOf(err);
    const parent = dirname(path);
    if (code === 'EEXIST') return assertDirectory(path);
    if (code !== 'ENOENT' || parent === path) throw err;
    await createDirectory(parent, mode);
  }
  // The parent exists now, so a second ENOENT is final and is thrown.
  await mkdir(path, { mode });
}

async function assertDirectory(path: string): Promise<void> {
  if (!(await stat(path)).isDirectory()) {
    throw new Error(`${path} exists and is not a directory`);
  }
}

/** Creates --cert-dir with mode 0700 unless it exists; throws ERR_TLS naming it. */
export async function createCertDir(certDir: string): Promise<void> {
  try {
    await createDirectory(resolve(certDir), 0o700);
  } catch (err) {
    throw new ProductError(errorCodes.tls, `cannot create --cert-dir ${certDir}`, { cause: err });
  }
}
