/**
 * `Parse.Cloud.httpRequest` as parse-server offers it to cloud code: a request described by
 * options, answered with an `HTTPResponse` (`status`, `headers`, `text`, `data`, `buffer`,
 * `cookies`), rejected with it for a status of 400 or more. Bounded by `outgoingRequests` (time
 * and answer size); redirects are followed only when asked (`followRedirects: true`).
 */

/** What a cloud-code request describes. */
export interface HttpRequestOptions {
  url: string;
  /** Default `'GET'`. */
  method?: string;
  headers?: Record<string, string>;
  /** A string or Buffer as it is; an object as JSON, or as a form when the content type says so. */
  body?: unknown;
  /** Query parameters: an object, or a query string. */
  params?: Record<string, unknown> | string;
  /** Default false, as in parse-server. */
  followRedirects?: boolean;
  /** Callbacks of parse-server's older style; the returned promise settles too. */
  success?: (response: HttpResponse) => void;
  error?: (response: HttpResponse | Error) => void;
}

/** The answer, as parse-server's HTTPResponse reads. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  buffer: Buffer;
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  data: unknown;
  /** Cookies set by the answer, by name. */
  cookies: Record<string, string> | undefined;
}

/** Bounds of one request. */
export interface HttpRequestLimits {
  timeout: number;
  maxResponseSize: number;
}

function requestUrl(options: HttpRequestOptions): string {
  if (typeof options.url !== 'string' || options.url === '')
    throw new TypeError('httpRequest: options.url is required');
  const url = new URL(options.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError(`httpRequest: ${url.protocol} URLs are not supported`);
  const { params } = options;
  if (typeof params === 'string') {
    for (const [key, value] of new URLSearchParams(params)) url.searchParams.append(key, value);
  } else if (params !== null && typeof params === 'object') {
    for (const [key, value] of Object.entries(params))
      url.searchParams.append(key, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return url.toString();
}

function requestBody(options: HttpRequestOptions, headers: Record<string, string>): string | Buffer | undefined {
  const { body } = options;
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || Buffer.isBuffer(body)) return body;
  const contentType = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  if (contentType?.startsWith('application/x-www-form-urlencoded'))
    return new URLSearchParams(
      Object.entries(body as Record<string, unknown>).map(([k, v]): [string, string] => [k, String(v)]),
    ).toString();
  if (contentType === undefined) headers['Content-Type'] = 'application/json';
  return JSON.stringify(body);
}

/**
 * An answer's body, read up to `limit` bytes: undefined past it (the rest is not read), so that an
 * outgoing request (httpRequest, a webhook call) cannot fill memory.
 */
export async function readBounded(response: Response, limit: number): Promise<Buffer | undefined> {
  const tooMuch = async (): Promise<undefined> => {
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  };
  if (Number(response.headers.get('content-length')) > limit) return tooMuch();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += (chunk as Uint8Array).length;
    if (size > limit) return tooMuch();
    chunks.push(chunk as Uint8Array);
  }
  return Buffer.concat(chunks);
}

function cookiesOf(response: Response): Record<string, string> | undefined {
  const set = response.headers.getSetCookie();
  if (set.length === 0) return undefined;
  return Object.fromEntries(
    set.map((cookie) => {
      const [pair = ''] = cookie.split(';');
      const at = pair.indexOf('=');
      return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
    }),
  );
}

/** Sends the request; resolves with the answer, rejects with it for a status of 400 or more. */
export async function httpRequest(options: HttpRequestOptions, limits: HttpRequestLimits): Promise<HttpResponse> {
  try {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const body = requestBody(options, headers);
    const response = await fetch(requestUrl(options), {
      method: (options.method ?? 'GET').toUpperCase(),
      headers,
      body,
      redirect: options.followRedirects === true ? 'follow' : 'manual',
      signal: AbortSignal.timeout(limits.timeout),
    });
    const buffer = await readBounded(response, limits.maxResponseSize);
    if (!buffer) throw new Error(`httpRequest: the answer is larger than ${limits.maxResponseSize} bytes`);
    const text = buffer.toString('utf8');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
    const answer: HttpResponse = {
      status: response.status,
      headers: Object.fromEntries(response.headers.entries()),
      buffer,
      text,
      data,
      cookies: cookiesOf(response),
    };
    if (answer.status >= 400) throw answer;
    options.success?.(answer);
    return answer;
  } catch (err) {
    const failure =
      err instanceof Error && err.name === 'TimeoutError'
        ? new Error(`httpRequest: no answer within ${limits.timeout} ms`)
        : (err as HttpResponse | Error);
    options.error?.(failure);
    throw failure;
  }
}
