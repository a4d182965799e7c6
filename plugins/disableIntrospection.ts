// Refuses introspection (__schema, __type) when SEQMETA_INTROSPECTION is off, as a GraphQL
// validation rule, so the refusal comes before any execution and with a code a client can
// act on. graphql-js's own NoSchemaIntrospectionCustomRule decides what is introspection
// (__typename stays allowed: clients need it); its errors are re-issued with
// extensions.code INTROSPECTION_DISABLED. Grafserv validates with `validationRules`, which
// a plugin may extend when the preset is set.
import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  type ValidationContext,
  type ValidationRule,
} from 'postgraphile/graphql';

export const INTROSPECTION_DISABLED_MESSAGE =
  'introspection is turned off on this server: use the published schema (schema.graphql) instead of __schema and __type';

export const IntrospectionDisabledRule: ValidationRule = (context: ValidationContext) => {
  // The same context, but its errors are ours, and one a document is enough: graphql-js
  // reports every field of an introspection type (__schema, then its `types`, …).
  let reported = false;
  const recoding = Object.create(context) as ValidationContext;
  recoding.reportError = (error: GraphQLError) => {
    if (reported) return;
    reported = true;
    context.reportError(
      new GraphQLError(INTROSPECTION_DISABLED_MESSAGE, { nodes: error.nodes, extensions: { code: 'INTROSPECTION_DISABLED' } }),
    );
  };
  return NoSchemaIntrospectionCustomRule(recoding);
};

export function createDisableIntrospectionPlugin(): GraphileConfig.Plugin {
  return {
    name: 'SeqmetaDisableIntrospectionPlugin',
    version: '1.0.0',
    description: 'Refuses __schema and __type with INTROSPECTION_DISABLED',
    grafserv: {
      middleware: {
        setPreset(next, event) {
          event.validationRules.push(IntrospectionDisabledRule);
          return next();
        },
      },
    },
  };
}
