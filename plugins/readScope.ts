// Queries need the `read` scope unless anonymous reads are allowed. The HTTP layer already
// answers 401 to a request without a token when they are not (src/http/authentication.ts);
// this checks again where the operation runs, so a request that reaches GraphQL some other
// way is held to the same rule, and a token with only the `ingest` scope reads nothing.
// Mutations are left to the ingest plugin, which requires the `ingest` scope.
import { getOperationAST, GraphQLError, type DocumentNode } from 'postgraphile/graphql';
import type { Principal } from '../src/authentication.ts';

export type ReadScopeOptions = { allowAnonymousReads: boolean };

/** Why `principal` may not run a query, or null when it may. */
export function readRefusal(principal: Principal | null, { allowAnonymousReads }: ReadScopeOptions): string | null {
  if (allowAnonymousReads) return null;
  if (principal === null) return 'reading needs a token with the read scope';
  if (!principal.scopes.has('read')) return `token "${principal.name}" lacks the read scope`;
  return null;
}

type OperationArguments = { document: DocumentNode; operationName?: string | null; contextValue?: unknown };

function refusalOf(args: OperationArguments, options: ReadScopeOptions): GraphQLError | null {
  const operation = getOperationAST(args.document, args.operationName ?? undefined);
  // an ambiguous or missing operation is grafast's to report; mutations are the ingest plugin's
  if (!operation || operation.operation === 'mutation') return null;
  // set by the preset's grafast.context from the authenticated request
  const principal = (args.contextValue as Partial<Grafast.Context> | undefined)?.principal ?? null;
  const refusal = readRefusal(principal, options);
  return refusal === null ? null : new GraphQLError(refusal, { extensions: { code: 'FORBIDDEN' } });
}

export function createReadScopePlugin(options: ReadScopeOptions): GraphileConfig.Plugin {
  return {
    name: 'SeqmetaReadScopePlugin',
    version: '1.0.0',
    description: 'Refuses queries to callers without the read scope when anonymous reads are off',
    grafast: {
      middleware: {
        execute(next, event) {
          const refusal = refusalOf(event.args, options);
          return refusal === null ? next() : { errors: [refusal] };
        },
        // a subscription reads as much as a query does
        subscribe(next, event) {
          const refusal = refusalOf(event.args, options);
          return refusal === null ? next() : { errors: [refusal] };
        },
      },
    },
  };
}
