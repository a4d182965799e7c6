// Rate limits on /graphql, counted in this process's memory (rate-limiter-flexible): with N
// processes or replicas a client may send up to N times as much (README, Rate limits).
//
// - Refused tokens, per client address: after SEQMETA_AUTH_FAILURES_PER_MINUTE of them
//   within a minute, every request from that address that carries a token is answered 429
//   until the minute is over, before the token is looked up (src/http/authentication.ts asks
//   here first), so guessing costs the database nothing. Only refusals count: a pipeline
//   sending many good requests at once is never held back by this one. A token the server
//   accepted within its token cache time is still let through: it costs no look-up, and
//   behind an untrusted proxy the blocked address is every client's.
// - Requests per caller: SEQMETA_REQUESTS_PER_MINUTE_PER_TOKEN per token name, and as many
//   per client address for callers without a token.
//
// The client address is Express's request.ip, so behind a load balancer SEQMETA_TRUST_PROXY
// must say which proxies to believe (src/server.ts), or every client is the balancer.
import { isIPv6 } from 'node:net';
import type { Express, Request, Response } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { refuse } from './refuse.ts';
import './requestContext.ts';

const WINDOW_SECONDS = 60;

/**
 * The key a client address is counted under: an IPv4 address as it is (also when written
 * IPv4-mapped), an IPv6 address by its /64, since one host usually holds a whole /64.
 */
export function clientAddressKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...headGroups, ...Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

const secondsUntil = (milliseconds: number) => Math.max(1, Math.ceil(milliseconds / 1000));

/** 429 with Retry-After and a GraphQL-shaped error, which the pipeline's CLI waits out. */
export function refuseTooManyRequests(response: Response, retryAfterSeconds: number, message: string): void {
  refuse(response, {
    status: 429,
    code: 'RATE_LIMITED',
    message,
    headers: { 'Retry-After': String(retryAfterSeconds) },
    extensions: { retryAfterSeconds },
  });
}

export type AuthenticationFailureLimit = {
  /** seconds the request's address must wait before its tokens are looked at again; null if it need not */
  retryAfterSeconds: (request: Request) => Promise<number | null>;
  /** counts a refused token against the request's address */
  recordFailure: (request: Request) => Promise<void>;
};

/** null when the limit is off (0). */
export function createAuthenticationFailureLimit(failuresPerMinute: number): AuthenticationFailureLimit | null {
  if (failuresPerMinute <= 0) return null;
  const failures = new RateLimiterMemory({ keyPrefix: 'authentication-failures', points: failuresPerMinute, duration: WINDOW_SECONDS });
  return {
    async retryAfterSeconds(request) {
      const counted = await failures.get(clientAddressKey(request.ip));
      return counted !== null && counted.consumedPoints >= failuresPerMinute ? secondsUntil(counted.msBeforeNext) : null;
    },
    async recordFailure(request) {
      // penalty never rejects: the count goes on, retryAfterSeconds reads it
      await failures.penalty(clientAddressKey(request.ip), 1);
    },
  };
}

/**
 * Counts every /graphql request against its caller: the token's name, or the client address
 * for a request without one. Installed after authentication, which names the caller.
 */
export function installRequestRateLimit(app: Express, requestsPerMinute: number): void {
  if (requestsPerMinute <= 0) return;
  const requests = new RateLimiterMemory({ keyPrefix: 'requests', points: requestsPerMinute, duration: WINDOW_SECONDS });
  app.use('/graphql', async (request: Request, response: Response, next: (error?: unknown) => void) => {
    const principal = request.seqmetaPrincipal ?? null;
    const key = principal === null ? `address:${clientAddressKey(request.ip)}` : `token:${principal.name}`;
    try {
      await requests.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) {
        next(rejection);
        return;
      }
      const caller = principal === null ? 'requests without a token from this address' : `token "${principal.name}"`;
      const seconds = secondsUntil(rejection.msBeforeNext);
      refuseTooManyRequests(
        response,
        seconds,
        `too many requests: ${caller} sent more than ${requestsPerMinute} in a minute; try again in ${seconds} s`,
      );
      return;
    }
    next();
  });
}
