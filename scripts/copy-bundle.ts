// Copies the CRD bundle next to the compiled JavaScript, since tsc copies
// only TypeScript output and the loader reads the YAML beside its module.
import { cp } from 'node:fs/promises';

await cp('src/crds/bundle', 'dist/crds/bundle', { recursive: true });
