// graphql-js parses recursively: a document nesting brackets tens of thousands deep (100 kB
// of `{ not: ` fits in a request) exhausts the stack, and the client hears "Maximum call stack
// size exceeded". The lexer is iterative, so the nesting is measured on the tokens before the
// parser runs. The bound only protects the parser; analyseOperation applies the real limits.
import { Lexer, Source, TokenKind } from 'postgraphile/graphql';

/** Far deeper than any query the depth and input-depth limits let through. */
export const MAXIMUM_DOCUMENT_NESTING = 200;

const opening = new Set<string>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const closing = new Set<string>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/** Whether the document nests brackets deeper than `limit`; a syntax error is the parser's to report. */
export function nestsDeeperThan(document: string, limit: number): boolean {
  // every level takes at least one opening and one closing character
  if (document.length < 2 * limit) return false;
  const lexer = new Lexer(new Source(document));
  let depth = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (opening.has(token.kind)) {
        depth += 1;
        if (depth > limit) return true;
      } else if (closing.has(token.kind)) {
        depth -= 1;
      }
    }
  } catch {
    return false;
  }
  return false;
}
