// `seqmeta keys generate`: fresh PHI keys for a production configuration. They are printed
// once, for the operator to store in a secret manager; seqmeta never writes them anywhere.
import type { Command } from 'commander';
import { formatKey, generateKey } from '../phi.ts';
import { CommandInputError, say } from './output.ts';

export function registerKeyCommands(program: Command): void {
  program
    .command('keys')
    .description('PHI keys (pseudonym HMAC key, patient id encryption keys)')
    .command('generate')
    .description('print new keys as environment lines for a production configuration')
    .option('--version <number>', 'version number of the new encryption key (rotate by appending)', '1')
    .action((options: { version: string }) => {
      const version = Number(options.version);
      if (!Number.isInteger(version) || version < 1) {
        throw new CommandInputError('--version must be a positive whole number');
      }
      process.stdout.write(
        `SEQMETA_PSEUDONYM_KEY=${formatKey(generateKey())}\n` +
          `SEQMETA_ENCRYPTION_KEYS=${version}:${formatKey(generateKey())}\n`,
      );
      say('store these as secrets outside the database; the pseudonym key can never change once patients are registered');
      say('to rotate the encryption key, append a new version: SEQMETA_ENCRYPTION_KEYS=1:<old>,2:<new>');
    });
}
