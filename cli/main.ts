#!/usr/bin/env node
// vpnctl: the VPN API from the command line (docs/cli.md). Exit codes: 0 ok, 1 error, 2 usage,
// 3 timed out waiting.
import { Command, CommanderError } from 'commander';
import { authCommands } from './commands/auth';
import { gatewayCommands } from './commands/gateway';
import { resourceCommands } from './commands/resources';
import { siteCommands } from './commands/site';
import { tunnelCommands } from './commands/tunnel';
import { completionScript } from './completion';
import { describeError, EXIT } from './errors';

export function buildProgram(): Command {
  const program = new Command('vpnctl')
    .description('Site-to-site IPsec VPN from the command line: gateways, peers, tunnels, alert templates, and whole sites from one file')
    .version('0.1.0')
    .showHelpAfterError('(vpnctl help for the commands)')
    .exitOverride();
  authCommands(program);
  resourceCommands(program);
  gatewayCommands(program);
  tunnelCommands(program);
  siteCommands(program);
  program
    .command('completion')
    .description('Shell completion: eval "$(vpnctl completion bash)" (or zsh)')
    .argument('<shell>', 'bash | zsh')
    .action((shell: string) => {
      process.stdout.write(completionScript(program, shell));
    });
  // Every subcommand reports usage mistakes through the same exit path.
  const override = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are not errors; commander already printed its message.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? EXIT.ok : EXIT.usage;
    }
    const { lines, exitCode } = describeError(e);
    process.stderr.write(lines.join('\n') + '\n');
    return exitCode;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
