/**
 * Fetching a small JSON document (a JWK Set, an authorization server's metadata) from a configured URL, with Node's
 * own fetch: a timeout, no redirects, and a size limit enforced while the body streams in, after decompression, so
 * that neither a huge body nor a small gzip body that inflates to a huge one is ever held in memory.
 */

/** Bodies larger than this are refused. */
export const MAX_DOCUMENT_BYTES = 1 << 20;

/** How a document is fetched. */
export interface FetchJsonOptions {
  readonly timeoutMs: number;
  /** The `Accept` header. */
  readonly accept: string;
  /** @default MAX_DOCUMENT_BYTES */
  readonly maxBytes?: number;
}

/** Reads a response body, giving up (and cancelling the stream) as soon as it passes `maxBytes`. */
async function readBounded(response: Response, maxBytes: number): Promise<string | null> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes && response.headers.get('content-encoding') === null) {
    await response.body?.cancel();
    return null;
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The JSON object at `url`, or `null` when it cannot be had (network error, timeout, redirect, non-2xx status,
 * too large, not a JSON object). Never throws.
 */
export async function fetchJsonObject(url: URL, options: FetchJsonOptions): Promise<Record<string, unknown> | null> {
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(options.timeoutMs),
      headers: { accept: options.accept },
      // Keys and metadata come only from the configured place (RFC 8725 §3.10).
      redirect: 'error',
    });
    if (!response.ok) {
      await response.body?.cancel();
      return null;
    }
    const text = await readBounded(response, options.maxBytes ?? MAX_DOCUMENT_BYTES);
    if (text === null) return null;
    const body: unknown = JSON.parse(text);
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
