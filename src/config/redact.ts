/**
 * Secrets in config values stay out of errors and logs: an alert sink's
 * header values (Authorization, API keys) are never echoed, and URLs lose
 * their credentials and query values. Applied where config issues are made
 * (./reader.ts), so every error path gets it. Pure.
 */

/** alerts[N].headers.NAME: the whole value is secret. */
const HEADER_PATH = /^alerts\[\d+\]\.headers\.[^.]+$/;
/** alerts[N].url: credentials and query values are. */
const URL_PATH = /^alerts\[\d+\]\.url$/;

/** A URL-like text with `user:password@` and query values replaced. */
export function redactUrl(text: string): string {
  return text
    .replace(/(\/\/)[^/@\s'"]*@/g, '$1<redacted>@')
    .replace(/([?&][^=&#\s'"]+=)[^&#\s'"]*/g, '$1<redacted>');
}

/** Whether issues at this path may carry a secret value. */
export function isSecretPath(path: string): boolean {
  return HEADER_PATH.test(path) || URL_PATH.test(path);
}

/** `found` (what the file holds) as it may be shown for this path. */
export function redactFound(path: string, found: string): string {
  if (HEADER_PATH.test(path)) return found === 'nothing' ? found : '<redacted>';
  if (URL_PATH.test(path)) return redactUrl(found);
  return found;
}

/** A message for this path with the raw value, if it appears in it, redacted. */
export function redactMessage(path: string, message: string, raw: string | undefined): string {
  if (!isSecretPath(path)) return message;
  let out = message;
  if (raw !== undefined && raw.length > 0 && raw !== 'nothing') out = out.split(raw).join(redactFound(path, raw));
  return URL_PATH.test(path) ? redactUrl(out) : out;
}
