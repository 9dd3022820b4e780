import { readFileSync } from 'node:fs';

/**
 * The package version, read from package.json next to src/ or dist/ (both sit
 * two levels below the package root). 'unknown' if it cannot be read.
 */
export function packageVersion(): string {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string') {
      return parsed.version;
    }
  } catch {
    // fall through
  }
  return 'unknown';
}
