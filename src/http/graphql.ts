// Mounts PostGraphile's grafserv on Express: /graphql, GraphiQL (Ruru) at /graphiql and its
// static assets, served from node_modules (no CDN is reachable from a hospital network).
// With GraphiQL turned off, /graphiql says so instead of Express's bare "Cannot GET".
import type { Server } from 'node:http';
import type { Express } from 'express';
import type { PostGraphileInstance } from 'postgraphile';
import { grafserv } from 'postgraphile/grafserv/express/v4';

export type GraphQLOptions = {
  /** whether grafserv serves GraphiQL (the preset's grafserv.graphiql) */
  graphiql: boolean;
};

export async function installGraphQL(
  app: Express,
  server: Server,
  postgraphile: PostGraphileInstance,
  { graphiql }: GraphQLOptions = { graphiql: true },
): Promise<void> {
  const serv = postgraphile.createServ(grafserv);
  if (graphiql) {
    app.get('/', (_request, response) => response.redirect('/graphiql'));
  } else {
    app.get('/graphiql', (_request, response) => {
      response.status(404).type('text/plain').send('GraphiQL is turned off on this server (SEQMETA_GRAPHIQL). The API is at /graphql.\n');
    });
  }
  await serv.addTo(app, server);
}
