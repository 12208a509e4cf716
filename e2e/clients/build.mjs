// Bundles each entry for the browser (esbuild --bundle --format=iife
// --platform=browser) into build/, one global per client library.
import * as esbuild from 'esbuild';

const entries = [
  ['entries/openai.js', 'build/openai.js', 'DuplexOpenAI'],
  ['entries/pipecat.js', 'build/pipecat.js', 'DuplexPipecat'],
];
for (const [entry, outfile, globalName] of entries) {
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    globalName,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'warning',
  });
}
