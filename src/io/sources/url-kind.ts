/**
 * Which remote opener a location needs, told from its scheme alone. Kept apart from the openers so
 * a command can ask without loading them (node:http, node:https, node:crypto: ~20 ms of start-up).
 */

export function isHttpUrl(text: string): boolean {
  return /^https?:\/\//i.test(text);
}

export function isS3Url(text: string): boolean {
  return /^s3:\/\//i.test(text);
}
