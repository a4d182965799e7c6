// Which web pages on other origins may call /graphql from a browser: exactly the configured
// origins (the frontend's), none by default. Without an Access-Control-Allow-Origin header a
// browser does not let a page on another origin read the answer, nor send a preflighted
// request (one with an Authorization header or a JSON body). Clients outside a browser (the
// pipeline's CLI, curl) are not concerned: CORS is a browser's rule, tokens are the API's.
import cors from 'cors';
import type { Express } from 'express';

/** what a page may send: its token, a JSON body, and an id to correlate its requests */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'X-Request-Id'] as const;

export function installCors(app: Express, origins: readonly string[]): void {
  if (origins.length === 0) return;
  app.use(
    '/graphql',
    cors({
      // compared exactly with the request's Origin header; any other origin gets no CORS headers
      origin: [...origins],
      methods: ['POST'], // /graphql answers POST only (graphqlOverGET is off)
      allowedHeaders: [...CORS_ALLOWED_HEADERS],
      // a page may read these: the id to quote, and how long to wait after a 429
      exposedHeaders: ['X-Request-Id', 'Retry-After'],
      // tokens travel in a header, never in cookies
      credentials: false,
      // browsers cache a preflight for at most this many seconds (Chromium caps it at 7200)
      maxAge: 600,
    }),
  );
}
