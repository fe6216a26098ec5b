import { execFileSync } from 'child_process';
import { join } from 'path';
import { prepareTemplate } from './support/database';

// End-to-end tests run the compiled API and worker as real processes: build them first.
export default async function globalSetup(): Promise<void> {
  execFileSync(process.execPath, [join(__dirname, '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: join(__dirname, '..'),
    stdio: 'inherit',
  });
  await prepareTemplate();
}
