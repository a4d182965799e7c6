// Refuses operations that are too deep, too wide, too costly or ask for pages above the cap,
// before any SQL runs. PostGraphile 5 has none of these limits built in.
import { SafeError } from 'postgraphile/grafast';
import { GraphQLError } from 'postgraphile/graphql';
import type { QueryLimits } from '../../src/config.ts';
import { analyseOperation } from './analyseOperation.ts';
import { MAXIMUM_DOCUMENT_NESTING, nestsDeeperThan } from './documentNesting.ts';

export function createQueryLimitsPlugin(limits: QueryLimits): GraphileConfig.Plugin {
  return {
    name: 'SeqmetaQueryLimitsPlugin',
    version: '1.0.0',
    description: 'Depth, alias, cost and page-size limits on every operation',
    grafserv: {
      middleware: {
        processGraphQLRequestBody(next, event) {
          const { query } = event.body;
          if (typeof query === 'string' && nestsDeeperThan(query, MAXIMUM_DOCUMENT_NESTING)) {
            // grafserv's httpError() is a SafeError with only a statusCode: this one has the
            // code of the other limits too, for clients and the access log
            throw new SafeError(
              `the document nests brackets more than ${MAXIMUM_DOCUMENT_NESTING} levels deep; at most ${limits.maximumDepth} levels of selections or input objects are allowed`,
              { statusCode: 400, code: 'QUERY_LIMIT', limit: 'DOCUMENT_NESTING' },
            );
          }
          return next();
        },
      },
    },
    grafast: {
      middleware: {
        execute(next, event) {
          const { schema, document, operationName, variableValues } = event.args;
          const problems = analyseOperation(
            schema,
            document,
            operationName,
            variableValues as Record<string, unknown> | null | undefined,
            limits,
          );
          if (problems.length === 0) return next();
          return {
            errors: problems.map(
              (problem) =>
                new GraphQLError(problem.message, { extensions: { code: 'QUERY_LIMIT', limit: problem.code } }),
            ),
          };
        },
      },
    },
  };
}
