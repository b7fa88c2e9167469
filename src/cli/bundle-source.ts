import type { Config } from '../config/parse.ts';
import { loadBuiltInBundle, loadBundle, type Bundle } from '../crds/bundle.ts';

/** Loads the bundle named by --bundle, or the built-in one when it is unset. */
export function loadConfiguredBundle(config: Config): Promise<Bundle> {
  return config.bundle === undefined ? loadBuiltInBundle() : loadBundle(config.bundle);
}
