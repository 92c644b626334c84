import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Twilio request validation: `X-Twilio-Signature` is base64(HMAC-SHA1(authToken, url)) for a request
 * without a POST body (a Media Streams WebSocket upgrade is a GET), where `url` is the full URL Twilio
 * connected to (https://www.twilio.com/docs/usage/security#validating-requests).
 * A proxy in front changes scheme and host, so every candidate URL is tried.
 */
export function validTwilioSignature(authToken: string, signature: string | undefined, candidateUrls: readonly string[]): boolean {
  if (!signature || signature.length > 256) return false;
  const presented = Buffer.from(signature, 'utf8');
  let ok = false;
  for (const url of candidateUrls) {
    const expected = Buffer.from(createHmac('sha1', authToken).update(url, 'utf8').digest('base64'), 'utf8');
    ok = (expected.length === presented.length && timingSafeEqual(expected, presented)) || ok;
  }
  return ok;
}

/** Signs a URL the way Twilio does (for tests and tools that play Twilio). */
export function twilioSignature(authToken: string, url: string): string {
  return createHmac('sha1', authToken).update(url, 'utf8').digest('base64');
}
