/**
 * Redaction of secrets before anything is logged or thrown. Webhook URLs are secrets in
 * themselves (Slack and Teams put the credential in the path), so a URL is reduced to its
 * scheme and host, like Alertmanager's `RedactURL`.
 */

/** `https://hooks.slack.com/services/T0/B0/xyz` -> `https://hooks.slack.com/<redacted>`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}/<redacted>`;
  } catch {
    // Not a URL at all: say nothing of its content.
    return '<redacted>';
  }
}

/** Replace every occurrence of each secret in `text` (URLs, tokens, passwords). */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue; // too short to be a credential; would shred the text
    out = out.split(secret).join('<redacted>');
  }
  return out;
}
