// Mounts PostGraphile's grafserv on Express: /graphql, GraphiQL (Ruru) at /graphiql and its
// static assets, served from node_modules (no CDN is reachable from a hospital network).
import type { Server } from 'node:http';
import type { Express } from 'express';
import type { PostGraphileInstance } from 'postgraphile';
import { grafserv } from 'postgraphile/grafserv/express/v4';

export async function installGraphQL(app: Express, server: Server, postgraphile: PostGraphileInstance): Promise<void> {
  const serv = postgraphile.createServ(grafserv);
  app.get('/', (_request, response) => response.redirect('/graphiql'));
  await serv.addTo(app, server);
}
