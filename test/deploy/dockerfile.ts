// A small reader of the Dockerfile and .dockerignore, enough to check the
// image without a Docker engine.

export interface Instruction {
  /** Upper-case instruction keyword, such as COPY. */
  readonly keyword: string;
  readonly value: string;
}

export interface Stage {
  readonly image: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

// Joins lines continued with a trailing backslash and drops comments and blank lines.
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    lines.push(pending + line);
    pending = '';
  }
  return lines;
}

/** Splits a Dockerfile into its stages, each with the instructions after its FROM. */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const line of logicalLines(text)) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const value = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const [image = '', as, name] = value.split(/\s+/);
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
      continue;
    }
    stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), value });
  }
  return stages;
}

export interface CopyInstruction {
  /** Stage named by --from, or undefined for the build context. */
  readonly from?: string;
  readonly sources: string[];
  readonly destination: string;
}

/** Reads a COPY instruction's --from flag, sources and destination. */
export function parseCopy(value: string): CopyInstruction {
  const words = value.split(/\s+/);
  const flags = words.filter((word) => word.startsWith('--'));
  const paths = words.filter((word) => !word.startsWith('--'));
  const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), destination: paths.at(-1) ?? '' };
}

/** Returns the Node.js major release of a node or distroless nodejs image, or undefined. */
export function nodeMajorOfImage(image: string): number | undefined {
  const match = /^node:(\d+)\b/.exec(image) ?? /^gcr\.io\/distroless\/nodejs(\d+)-/.exec(image);
  return match === null ? undefined : Number(match[1]);
}

// Translates one pattern, segment by segment, into a regular expression that
// also matches every path below a matched folder.
function patternRegex(pattern: string): RegExp {
  const segments = pattern.replace(/^\/+|\/+$/g, '').split('/');
  const translated = segments.map((segment) => {
    if (segment === '**') return '.*';
    return segment
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]');
  });
  return new RegExp(`^${translated.join('/')}(/.*)?$`);
}

/**
 * Returns whether .dockerignore `patterns` keep `path` out of the build
 * context. The last matching pattern wins and "!" re-includes.
 * NOTE: it covers plain paths, "*", "?" and "**" as a whole segment, but not character classes.
 */
export function isIgnored(patterns: readonly string[], path: string): boolean {
  let ignored = false;
  for (const line of patterns) {
    const pattern = line.trim();
    if (pattern === '' || pattern.startsWith('#')) continue;
    const negated = pattern.startsWith('!');
    if (patternRegex(negated ? pattern.slice(1) : pattern).test(path)) ignored = !negated;
  }
  return ignored;
}
