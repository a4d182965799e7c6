// Writes the page's CSP nonce (drawn by src/http/securityHeaders.ts for each GraphiQL page)
// into every <script> of Ruru's HTML, so that the page's inline scripts run under a policy
// that refuses any other inline script. Ruru escapes "<script" inside its config and the
// Examples data escapes "<", so each "<script" left in the page is a tag.
import type { Response } from 'express';
import { cspNonceOf } from '../src/http/securityHeaders.ts';

export function createGraphiqlScriptNoncePlugin(): GraphileConfig.Plugin {
  return {
    name: 'SeqmetaGraphiqlScriptNoncePlugin',
    version: '1.0.0',
    description: "Adds the response's Content-Security-Policy nonce to GraphiQL's script tags",
    grafserv: {
      middleware: {
        async ruruHTML(next, event) {
          const html = await next();
          const response = event.request.requestContext.expressv4?.res as Response | undefined;
          const nonce = response === undefined ? undefined : cspNonceOf(response);
          // without a nonce (not served through Express) the page is left as it is
          return nonce === undefined ? html : html.replace(/<script(?=[\s>])/g, `<script nonce="${nonce}"`);
        },
      },
    },
  };
}
