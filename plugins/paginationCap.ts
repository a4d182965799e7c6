// Connections without `first` or `last` would read every row (plain PostGraphile answers
// `samples` with all 30,000). Here such a connection returns one default-sized page and says
// so through pageInfo.hasNextPage, the standard signal to page on. Values above the cap are
// refused before execution by the queryLimits plugin.
import { lambda } from 'postgraphile/grafast';
import type { QueryLimits } from '../src/config.ts';

type PageArguments = readonly [first: number | null | undefined, last: number | null | undefined];
type PageableStep = { setFirst?: (step: unknown) => void; setLast?: (step: unknown) => void };

export function createPaginationCapPlugin(limits: Pick<QueryLimits, 'defaultPageSize'>): GraphileConfig.Plugin {
  const firstOrDefault = ([first, last]: PageArguments) => first ?? (last == null ? limits.defaultPageSize : null);
  const lastAsGiven = ([, last]: PageArguments) => last ?? null;

  return {
    name: 'SeqmetaPaginationCapPlugin',
    version: '1.0.0',
    description: 'Gives connections without first/last a default page size',
    after: ['PgFirstLastBeforeAfterArgsPlugin'],
    schema: {
      hooks: {
        // first/last are applied together by the field's plan below, so that an absent
        // pair (or explicit nulls) can fall back to the default page size.
        GraphQLObjectType_fields_field_args(args, _build, context) {
          if (!context.scope.isPgFieldConnection) return args;
          for (const name of ['first', 'last'] as const) {
            const argument = args[name];
            if (argument) args[name] = { ...argument, applyPlan: undefined };
          }
          return args;
        },
        GraphQLObjectType_fields_field(field, _build, context) {
          const originalPlan = field.plan;
          if (!context.scope.isPgFieldConnection || !originalPlan) return field;
          return {
            ...field,
            plan(parent, fieldArguments, info) {
              const $connection = originalPlan(parent, fieldArguments, info) as PageableStep & {
                getSubplan?: () => PageableStep & { paginationSupport?: { full?: boolean } | null };
              };
              // A connection told its page size marks its page as needed, and grafast then
              // fetches one even when only totalCount or groupedAggregates is selected. A
              // collection that paginates itself (every PostGraphile table or view) is told
              // directly, so the page is fetched only when nodes, edges or pageInfo ask for it.
              const $collection = $connection.getSubplan?.();
              const $pageable = $collection?.paginationSupport?.full ? $collection : $connection;
              const $pageArguments = [fieldArguments.getRaw('first'), fieldArguments.getRaw('last')] as const;
              $pageable.setFirst?.(lambda($pageArguments, firstOrDefault as never, true));
              $pageable.setLast?.(lambda($pageArguments, lastAsGiven as never, true));
              return $connection as never;
            },
          };
        },
      },
    },
  };
}
