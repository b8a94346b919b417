/**
 * The code samples of README.md and docs/*.md, checked so that a doc change can break the build.
 *
 * Every fenced block names its language. TypeScript blocks are type-checked as modules importing the
 * built package (`plinth`), the way a host app would; JavaScript blocks are parsed. A marker comment on the line
 * before a fence changes that:
 * - `<!-- sample: context NAME -->` type-checks the block with a prelude that declares what the
 *   surrounding prose assumes (`backend`, `config`, the host's own helpers), or inside a hook;
 * - `<!-- sample: run server -->` and `<!-- sample: run client -->` also run that pair, as written:
 *   the server sample is started, the client sample must then exit cleanly against it. Only the
 *   MongoDB URI (`mongodb://127.0.0.1:27017/<db>`) and the port (`3000`) are swapped for the test's;
 * - `<!-- sample: skip REASON -->` leaves a block out, with the reason on record.
 * Shell blocks are checked too: each `npm` command must name a script package.json has. `text`
 * blocks (diagrams, output) are prose.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import ts from 'typescript';
import { testMongo, uniqueDatabaseName } from '../support/mongo.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const workDir = join(root, 'build/doc-samples');

type Marker = { kind: 'none' } | { kind: 'skip'; reason: string } | { kind: 'context'; name: string } | { kind: 'run'; role: 'server' | 'client' };

interface Sample {
  file: string;
  line: number;
  lang: string;
  code: string;
  marker: Marker;
}

const BACKEND_PRELUDE = `import Parse from 'parse/node';
import { createBackend, BackendError, CONFIG, ErrorCode, HookQuery, type BackendConfig } from 'plinth';
declare const backend: ReturnType<typeof createBackend>;
declare const config: BackendConfig;
declare const id: string;
declare const userId: string;
declare const sessionToken: string;
declare const mailer: { send(message: { to: unknown; subject: string; text: string }): Promise<void> };
declare function notify(id: string | undefined): Promise<void>;
declare function makeThumbnail(data: Buffer): Promise<Buffer>;
declare function watermark(data: Buffer): Buffer;
declare function audit(url: string | undefined): void;
declare function cleanUp(name: string): void;
void [Parse, createBackend, BackendError, CONFIG, ErrorCode, HookQuery, backend, config, id, userId, sessionToken];
`;

/** What a `context` marker puts around a sample: declarations before it, and a hook it runs in. */
const CONTEXTS: Record<string, { before: string; after: string }> = {
  backend: { before: BACKEND_PRELUDE, after: '' },
  'cloud-function': { before: `${BACKEND_PRELUDE}backend.cloud.define('sample', async (request) => {\n`, after: '\n});\n' },
};

function readMarker(previousLine: string | undefined): Marker {
  const match = /^<!-- sample: (skip|context|run) ?(.*?) ?-->$/.exec((previousLine ?? '').trim());
  if (!match) return { kind: 'none' };
  const [, kind, rest = ''] = match;
  if (kind === 'skip') return { kind: 'skip', reason: rest };
  if (kind === 'context') return { kind: 'context', name: rest };
  if (rest !== 'server' && rest !== 'client') throw new Error(`unknown run role "${rest}"`);
  return { kind: 'run', role: rest };
}

/** The fenced blocks of one Markdown file. */
function samplesOf(file: string): Sample[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const samples: Sample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((line, j) => j > i && line.startsWith('```'));
    if (end < 0) throw new Error(`${file}:${i + 1}: unclosed code fence`);
    const previous = lines.slice(0, i).reverse().find((line) => line.trim() !== '');
    samples.push({ file, line: i + 1, lang: open[1]!, code: lines.slice(i + 1, end).join('\n'), marker: readMarker(previous) });
    i = end;
  }
  return samples;
}

const docFiles = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const samples = docFiles.flatMap(samplesOf);
const where = (s: Sample) => `${s.file}:${s.line}`;
// JavaScript samples are checked as JavaScript: syntax only, as a host's .js file would be.
const sourceName = (s: Sample) => join(workDir, `${s.file.replace(/[/.]/g, '-')}-${s.line}.${s.lang}`);

/** Type-checks every TypeScript and JavaScript sample in one program; returns the errors by sample. */
function typeCheck(checked: Sample[]): Map<Sample, string[]> {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const offsets = new Map<string, { sample: Sample; preludeLines: number }>();
  for (const sample of checked) {
    const context = sample.marker.kind === 'context' ? CONTEXTS[sample.marker.name] : undefined;
    if (sample.marker.kind === 'context' && !context) throw new Error(`${where(sample)}: unknown sample context "${sample.marker.name}"`);
    const before = context?.before ?? '';
    // `export {}` makes every sample a module, so top-level await and imports behave as in a host app.
    writeFileSync(sourceName(sample), `${before}${sample.code}${context?.after ?? ''}\nexport {};\n`);
    offsets.set(sourceName(sample), { sample, preludeLines: before.split('\n').length - 1 });
  }
  const base = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.base.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  const options: ts.CompilerOptions = { ...base!.options, noEmit: true, allowJs: true, checkJs: false, types: ['node', 'mocha'] };
  const program = ts.createProgram([...offsets.keys()], options);
  const errors = new Map<Sample, string[]>(checked.map((s) => [s, []]));
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const entry = diagnostic.file && offsets.get(diagnostic.file.fileName);
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!entry) throw new Error(`outside any sample: ${message}`);
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    errors.get(entry.sample)!.push(`line ${line - entry.preludeLines + 1} of the sample: ${message}`);
  }
  return errors;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** Compiles a sample to a runnable ES module beside the build, with the test's address and port. */
function runnable(sample: Sample, swap: { databaseURI: string; port: number }): string {
  const js = ts.transpileModule(sample.code, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
  const file = join(workDir, `${sample.file.replace(/[/.]/g, '-')}-${sample.line}.mjs`);
  writeFileSync(file, js.replace(/mongodb:\/\/127\.0\.0\.1:27017\/\w+/g, swap.databaseURI).replace(/\b3000\b/g, String(swap.port)));
  return file;
}

function start(file: string, output: { text: string }): ChildProcess {
  const child = spawn(process.execPath, [file], { cwd: workDir, env: { ...process.env, MASTER_KEY: 'sample-master-key' }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (output.text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output.text += d.toString()));
  return child;
}

describe('documentation samples', function () {
  this.timeout(60000);
  const code = samples.filter((s) => (s.lang === 'ts' || s.lang === 'js') && s.marker.kind !== 'skip');
  let errors: Map<Sample, string[]>;
  before(() => {
    errors = typeCheck(code);
  });

  it('every fence names its language, and every marker is known', () => {
    for (const sample of samples) {
      expect(sample.lang, `${where(sample)} needs a language after its fence`).to.not.equal('');
      expect(['ts', 'js', 'sh', 'text'], where(sample)).to.include(sample.lang);
      if (sample.marker.kind === 'skip') expect(sample.marker.reason, `${where(sample)}: say why it is skipped`).to.not.equal('');
    }
  });

  for (const sample of samples.filter((s) => (s.lang === 'ts' || s.lang === 'js') && s.marker.kind !== 'skip')) {
    it(`${where(sample)} type-checks`, () => {
      expect(errors.get(sample), `${where(sample)}:\n${(errors.get(sample) ?? []).join('\n')}`).to.deep.equal([]);
    });
  }

  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  for (const sample of samples.filter((s) => s.lang === 'sh' && s.marker.kind !== 'skip')) {
    it(`${where(sample)} runs only npm scripts that exist`, () => {
      const commands = sample.code.split('\n').filter((line) => line.trim() !== '');
      for (const command of commands) {
        const match = /^npm (?:run )?([\w:-]+)/.exec(command);
        expect(match, `${where(sample)}: "${command}" is not an npm script; mark the block skip with a reason`).to.not.equal(null);
        expect(Object.keys(scripts), `${where(sample)}: ${command}`).to.include(match![1]);
      }
    });
  }

  for (const file of docFiles) {
    const server = samples.find((s) => s.file === file && s.marker.kind === 'run' && s.marker.role === 'server');
    const client = samples.find((s) => s.file === file && s.marker.kind === 'run' && s.marker.role === 'client');
    if (!server || !client) continue;
    it(`${file}: the client sample at line ${client.line} runs against the server sample at line ${server.line}`, async () => {
      const databaseURI = (await testMongo()).uriFor(uniqueDatabaseName('doc_samples'));
      const port = await freePort();
      const serverOutput = { text: '' };
      const serverProcess = start(runnable(server, { databaseURI, port }), serverOutput);
      try {
        for (let i = 0; i < 150 && serverProcess.exitCode === null && !(await accepts(port)); i++) await new Promise((r) => setTimeout(r, 100));
        expect(serverProcess.exitCode, `the server sample exited:\n${serverOutput.text}`).to.equal(null);
        const clientOutput = { text: '' };
        const clientProcess = start(runnable(client, { databaseURI, port }), clientOutput);
        const exitCode = await new Promise<number | null>((resolve) => clientProcess.once('exit', resolve));
        expect(exitCode, `the client sample failed:\n${clientOutput.text}`).to.equal(0);
      } finally {
        if (serverProcess.exitCode === null) {
          const exited = new Promise((r) => serverProcess.once('exit', r));
          serverProcess.kill();
          await exited;
        }
      }
    });
  }
});
