import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
  LoggerService,
} from '@backstage/backend-plugin-api';

/** How long creation waits for the registry's answer before it keeps tags. */
export const DIGEST_TIMEOUT_MS = 10_000;
/** The answer for three images is well under this; more is not an answer. */
const MAX_RESPONSE_LENGTH = 64 * 1024;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** @public */
export interface DigestAnswer {
  /** Digest by image, for the images the registry answered for. */
  digests: Map<string, string>;
  /** Why an image has no digest: one line each, for the task log. */
  messages: string[];
}

/**
 * Looks up the current digests of image tags. Never throws: no answer means no digests.
 * @public
 */
export interface DigestLookup {
  lookup(
    images: string[],
    credentials: BackstageCredentials,
    logger: LoggerService,
  ): Promise<DigestAnswer>;
}

/** `<image>@<digest>` when a digest is known, otherwise the image as it is (its tag). */
export function pinnedImage(image: string, digest?: string): string {
  return digest ? `${image}@${digest}` : image;
}

function readAnswer(text: string, asked: Set<string>): DigestAnswer {
  if (text.length > MAX_RESPONSE_LENGTH)
    throw new Error(`the answer is over ${MAX_RESPONSE_LENGTH} characters`);
  const body = JSON.parse(text) as { items?: unknown };
  if (!Array.isArray(body?.items))
    throw new Error('the answer has no items list');
  const answer: DigestAnswer = { digests: new Map(), messages: [] };
  for (const item of body.items as Array<Record<string, unknown>>) {
    const image = item?.image;
    // only what was asked, and only well-formed digests, reach a Dockerfile
    if (typeof image !== 'string' || !asked.has(image)) continue;
    if (typeof item.digest === 'string' && DIGEST.test(item.digest)) {
      answer.digests.set(image, item.digest);
    } else if (typeof item.message === 'string') {
      answer.messages.push(
        `${image}: ${item.message.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ')}`,
      );
    }
  }
  for (const image of asked) {
    if (
      !answer.digests.has(image) &&
      !answer.messages.some(m => m.startsWith(`${image}: `))
    )
      answer.messages.push(`${image}: the registry gave no digest`);
  }
  return answer;
}

/**
 * Asks the base-images backend (`POST /api/base-images/digests`), which only
 * contacts the registries its allow-list names, for the digests the tags
 * point at now, on behalf of the task's initiator. Any failure (backend
 * down, registry offline, timeout, malformed answer) gives no digests and a
 * message: creation then keeps the tags.
 * @public
 */
export function createDigestLookup(options: {
  discovery: DiscoveryService;
  auth: AuthService;
  timeoutMs?: number;
}): DigestLookup {
  const { discovery, auth } = options;
  const timeoutMs = options.timeoutMs ?? DIGEST_TIMEOUT_MS;
  return {
    async lookup(images, credentials, logger) {
      const asked = new Set(images);
      if (asked.size === 0) return { digests: new Map(), messages: [] };
      try {
        const signal = AbortSignal.timeout(timeoutMs);
        const baseUrl = await discovery.getBaseUrl('base-images');
        const { token } = await auth.getPluginRequestToken({
          onBehalfOf: credentials,
          targetPluginId: 'base-images',
        });
        const response = await fetch(`${baseUrl}/digests`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${token}`,
          },
          body: JSON.stringify({ images: [...asked] }),
          signal,
          redirect: 'error',
        });
        if (!response.ok) {
          throw new Error(
            `the base-images backend answered ${response.status} ${response.statusText}`,
          );
        }
        return readAnswer(await response.text(), asked);
      } catch (error) {
        // DOMException from AbortSignal.timeout; not an Error in every realm
        const why =
          (error as { name?: unknown })?.name === 'TimeoutError'
            ? `no answer within ${timeoutMs / 1000}s`
            : String((error as Error)?.message ?? error);
        logger.warn(`Could not look up base image digests: ${why}`);
        return {
          digests: new Map(),
          messages: [...asked].map(
            image => `${image}: digest lookup failed (${why})`,
          ),
        };
      }
    },
  };
}
