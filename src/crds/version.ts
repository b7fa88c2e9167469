// Bundle versions are release tags such as "v1.3.0" or "v1.4.0-rc.1".

export const bundleVersionAnnotation = 'inference.networking.k8s.io/bundle-version';

interface ParsedVersion {
  readonly core: readonly [number, number, number];
  readonly prerelease: readonly string[];
}

const versionPattern = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function parseBundleVersion(text: string): ParsedVersion | undefined {
  const match = versionPattern.exec(text.trim());
  if (match === null) return undefined;
  return {
    core: [Number(match[1]), Number(match[2]), Number(match[3])],
    prerelease: match[4] === undefined ? [] : match[4].split('.'),
  };
}

function comparePrerelease(a: readonly string[], b: readonly string[]): number {
  // A release sorts after any of its pre-releases (semver 2.0.0, rule 11).
  if (a.length === 0 || b.length === 0) return Math.sign(b.length - a.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const left = a[i] as string;
    const right = b[i] as string;
    const leftNumeric = /^\d+$/.test(left);
    const rightNumeric = /^\d+$/.test(right);
    if (leftNumeric && rightNumeric) {
      const difference = Number(left) - Number(right);
      if (difference !== 0) return Math.sign(difference);
    } else if (leftNumeric !== rightNumeric) {
      return leftNumeric ? -1 : 1;
    } else if (left !== right) {
      return left < right ? -1 : 1;
    }
  }
  return Math.sign(a.length - b.length);
}

/**
 * Compares two bundle versions: negative when a is older, 0 when equal,
 * positive when newer. Returns undefined when either is not a version.
 */
export function compareBundleVersions(a: string, b: string): number | undefined {
  const left = parseBundleVersion(a);
  const right = parseBundleVersion(b);
  if (left === undefined || right === undefined) return undefined;
  for (let i = 0; i < 3; i++) {
    const difference = (left.core[i] as number) - (right.core[i] as number);
    if (difference !== 0) return Math.sign(difference);
  }
  return comparePrerelease(left.prerelease, right.prerelease);
}
