// azd `prepackage` hook for service `api` (azure.yaml): lays out the exact Function App package in dist/deploy,
// which azd then zips and uploads unchanged (remoteBuild: false).
//
//   dist/deploy/
//     host.json
//     package.json        the project's, minus "scripts" (nothing to build or run on the server)
//     package-lock.json
//     dist/**             the compiled app (package.json "main": dist/functions/index.js), no source maps
//     node_modules/       production dependencies only (npm ci --omit=dev)
//
// Building here rather than remotely keeps the deployed bits identical to what was built and tested, and keeps
// dev tooling (TypeScript, vitest, Azurite) out of the package. The production dependencies are plain
// JavaScript, so installing them on any OS yields a package that runs on the Linux workers.
// Run it by hand with `node infra/hooks/stage-package.mjs`.
import { execSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const built = join(root, 'dist');
const out = join(built, 'deploy');

const run = (command, cwd) => {
  console.log(`> ${command}`);
  execSync(command, { cwd, stdio: 'inherit' });
};

run('npm run build', root);
if (!existsSync(join(built, 'functions', 'index.js'))) {
  throw new Error('npm run build did not produce dist/functions/index.js (package.json "main")');
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

for (const entry of readdirSync(built)) {
  if (entry === 'deploy') continue;
  cpSync(join(built, entry), join(out, 'dist', entry), {
    recursive: true,
    filter: (source) => !source.endsWith('.map'),
  });
}

cpSync(join(root, 'host.json'), join(out, 'host.json'));
cpSync(join(root, 'package-lock.json'), join(out, 'package-lock.json'));
if (existsSync(join(root, '.npmrc'))) cpSync(join(root, '.npmrc'), join(out, '.npmrc'));
const { scripts: _scripts, ...manifest } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
writeFileSync(join(out, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

run('npm ci --omit=dev --ignore-scripts --no-audit --no-fund', out);
console.log(`Function App package staged in ${out}`);
