// Static limits on one GraphQL operation, checked before anything runs. Pure: the document,
// the variables and the schema in, a list of problems out.
import {
  getNamedType,
  isObjectType,
  isInterfaceType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
  valueFromASTUntyped,
} from 'postgraphile/graphql';
import type { QueryLimits } from '../../src/config.ts';

export type LimitProblem = {
  code: 'PAGE_SIZE' | 'DEPTH' | 'INPUT_DEPTH' | 'ALIASES' | 'COST' | 'SELECTIONS';
  message: string;
};

// Fragments are expanded where they are spread, so a 1 kB document whose fragments each spread
// the next one twice expands to millions of selections: walking them (here, and in grafast's
// planning after us) blocked the process for a minute. No real query comes near this bound;
// the walk stops at it, so the analysis itself stays cheap.
export const MAXIMUM_SELECTIONS = 10_000;

type Walk = {
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  schema: GraphQLSchema;
  limits: QueryLimits;
  problems: LimitProblem[];
  aliases: number;
  deepest: number;
  /** deepest nesting of input objects in an argument written in the document */
  deepestInput: number;
  cost: number;
  /** field selections and fragment spreads walked, fragments counted where spread */
  selections: number;
};

function valueOf(node: ValueNode | undefined, variables: Record<string, unknown>): unknown {
  if (!node) return undefined;
  if (node.kind === Kind.VARIABLE) return variables[node.name.value];
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.NULL) return null;
  return undefined;
}

// Input objects nest without bound: connection-filter's `and`/`or`/`not` take filters, so
// `{ not: { not: … } }` thousands deep is a valid filter that becomes SQL thousands deep
// (Postgres then fails with "stack depth limit exceeded", after the work). Objects count a
// level, lists do not. Both walks stop one level past the limit, so a hostile value costs
// no more than a legitimate one to measure and cannot exhaust the stack.
function literalDepth(node: ValueNode, variables: Record<string, unknown>, limit: number, budget = 4 * limit): number {
  if (node.kind === Kind.VARIABLE) return valueDepth(variables[node.name.value], limit);
  // lists are not counted as levels, but they spend the walk's budget like objects do, so
  // `[[[…]]]` thousands deep cannot recurse past it
  if (budget < 0) return limit + 1;
  if (node.kind === Kind.LIST) {
    let deepest = 0;
    for (const value of node.values) deepest = Math.max(deepest, literalDepth(value, variables, limit, budget - 1));
    return deepest;
  }
  if (node.kind !== Kind.OBJECT) return 0;
  if (limit <= 0) return 1;
  let deepest = 0;
  for (const field of node.fields) deepest = Math.max(deepest, literalDepth(field.value, variables, limit - 1, budget - 1));
  return 1 + deepest;
}

/** The same, for a variable's value as sent in JSON. */
export function valueDepth(value: unknown, limit: number, budget = 4 * limit): number {
  if (value === null || typeof value !== 'object') return 0;
  // arrays are not counted as levels but spend the budget: `[[[…]]]` 500,000 deep is valid JSON
  if (budget < 0) return limit + 1;
  if (Array.isArray(value)) {
    let deepest = 0;
    for (const item of value) deepest = Math.max(deepest, valueDepth(item, limit, budget - 1));
    return deepest;
  }
  if (limit <= 0) return 1;
  let deepest = 0;
  for (const item of Object.values(value)) deepest = Math.max(deepest, valueDepth(item, limit - 1, budget - 1));
  return 1 + deepest;
}

/** A connection type has `nodes` or `edges` and `pageInfo`. */
function isConnection(type: GraphQLNamedType): boolean {
  if (!isObjectType(type)) return false;
  const fields = type.getFields();
  return 'pageInfo' in fields && ('nodes' in fields || 'edges' in fields);
}

function walk(
  state: Walk,
  selectionSet: SelectionSetNode,
  parentType: GraphQLNamedType | undefined,
  depth: number,
  rowsAbove: number,
  visitedFragments: Set<string>,
): void {
  state.deepest = Math.max(state.deepest, depth);
  for (const selection of selectionSet.selections) {
    state.selections += 1;
    if (state.selections > MAXIMUM_SELECTIONS) return;
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const name = selection.name.value;
      const fragment = state.fragments.get(name);
      if (!fragment || visitedFragments.has(name)) continue;
      const type = state.schema.getType(fragment.typeCondition.name.value);
      walk(state, fragment.selectionSet, type, depth, rowsAbove, new Set([...visitedFragments, name]));
      continue;
    }
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? state.schema.getType(selection.typeCondition.name.value) : parentType;
      walk(state, selection.selectionSet, type, depth, rowsAbove, visitedFragments);
      continue;
    }
    const fieldName = selection.name.value;
    // Counted before the introspection exemption: GraphiQL never aliases introspection
    // fields, and 2,000 aliased copies of `__schema { types { fields { name } } }` fit in
    // a 100 kB body and cost seconds of CPU.
    if (selection.alias) state.aliases += 1;
    // Introspection (GraphiQL's documentation explorer) is deep by nature and reads no rows;
    // graphql-js' MaxIntrospectionDepthRule bounds its nesting.
    if (fieldName.startsWith('__')) continue;

    for (const argument of selection.arguments ?? []) {
      state.deepestInput = Math.max(state.deepestInput, literalDepth(argument.value, state.variables, state.limits.maximumDepth));
    }
    let rows = rowsAbove;
    for (const argumentName of ['first', 'last']) {
      const argument = selection.arguments?.find((candidate) => candidate.name.value === argumentName);
      const value = valueOf(argument?.value, state.variables);
      if (value === undefined || value === null) continue;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > state.limits.maximumPageSize) {
        state.problems.push({
          code: 'PAGE_SIZE',
          message: `\`${argumentName}\` of \`${fieldName}\` must be a whole number from 0 to ${state.limits.maximumPageSize}, got ${JSON.stringify(value)}`,
        });
      }
    }
    const fieldType =
      parentType && (isObjectType(parentType) || isInterfaceType(parentType))
        ? getNamedType(parentType.getFields()[fieldName]?.type)
        : undefined;
    if (fieldType && isConnection(fieldType)) {
      const pageArgument = selection.arguments?.find((argument) => ['first', 'last'].includes(argument.name.value));
      const pageSize = valueOf(pageArgument?.value, state.variables);
      rows = rowsAbove * (typeof pageSize === 'number' && pageSize >= 0 ? pageSize : state.limits.defaultPageSize);
      state.cost += rows;
    }
    if (selection.selectionSet) {
      walk(state, selection.selectionSet, fieldType, depth + 1, rows, visitedFragments);
    }
  }
}

// A variable the request leaves out takes the operation's default, and that is the value
// PostGraphile runs with: `query ($size: Int = 5000) { samples(first: $size) … }` must meet
// the cap like `first: 5000`. A variable sent (even as null) overrides its default.
function variablesWithDefaults(
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | null | undefined,
): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue) {
      defaults[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue);
    }
  }
  return { ...defaults, ...(variables ?? {}) };
}

export function analyseOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  limits: QueryLimits,
): LimitProblem[] {
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName
    ? operations.find((candidate) => candidate.name?.value === operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
  // an unknown or ambiguous operation is GraphQL's own error to report
  if (!operation) return [];

  const rootType =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  const state: Walk = {
    fragments: new Map(
      document.definitions
        .filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)
        .map((fragment) => [fragment.name.value, fragment]),
    ),
    variables: variablesWithDefaults(operation, variables),
    schema,
    limits,
    problems: [],
    aliases: 0,
    deepest: 0,
    deepestInput: 0,
    cost: 0,
    selections: 0,
  };
  walk(state, operation.selectionSet, rootType ?? undefined, 1, 1, new Set());

  if (state.selections > MAXIMUM_SELECTIONS) {
    state.problems.push({
      code: 'SELECTIONS',
      message:
        `the query expands to more than ${MAXIMUM_SELECTIONS} selections (each fragment counted every time it is spread); ` +
        'spread fragments fewer times',
    });
  }
  if (state.deepest > limits.maximumDepth) {
    state.problems.push({
      code: 'DEPTH',
      message: `the query nests ${state.deepest} levels deep; at most ${limits.maximumDepth} are allowed`,
    });
  }
  // variables the operation does not use are still parsed and coerced by GraphQL
  for (const value of Object.values(state.variables)) {
    state.deepestInput = Math.max(state.deepestInput, valueDepth(value, limits.maximumDepth));
  }
  if (state.deepestInput > limits.maximumDepth) {
    state.problems.push({
      code: 'INPUT_DEPTH',
      message: `an argument nests input objects more than ${limits.maximumDepth} levels deep (e.g. and/or/not in a filter); flatten it`,
    });
  }
  if (state.aliases > limits.maximumAliases) {
    state.problems.push({
      code: 'ALIASES',
      message: `the query uses ${state.aliases} aliases; at most ${limits.maximumAliases} are allowed`,
    });
  }
  if (state.cost > limits.maximumCost) {
    state.problems.push({
      code: 'COST',
      message:
        `the query could read up to ${state.cost} rows (page sizes of nested connections multiplied); ` +
        `at most ${limits.maximumCost} are allowed: ask for smaller pages (connections without first/last count as ${limits.defaultPageSize})`,
    });
  }
  return state.problems;
}
