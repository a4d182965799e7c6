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
  // Nesting deeper than `limit` needs more than `limit` opening brackets: counting characters is
  // far cheaper than lexing, and settles it for every ordinary query (this runs per request).
  let openings = 0;
  for (let index = 0; index < document.length && openings <= limit; index += 1) {
    const code = document.charCodeAt(index);
    if (code === 0x7b || code === 0x5b || code === 0x28) openings += 1; // { [ (
  }
  if (openings <= limit) return false;
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
