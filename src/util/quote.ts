/**
 * A name or link target quoted for a one-line message: in double quotes, with quotes and control
 * characters escaped (a message stays one line and cannot drive a terminal) and backslashes left
 * as they are: `JSON.stringify` would double every one of a Windows path (`C:\\Windows`).
 */
export function quoteText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return `"${text.replace(/["\u0000-\u001f\u007f]/g, (c) => (c === '"' ? '\\"' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))}"`;
}
