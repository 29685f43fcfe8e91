// Entry of the bundled CLI (dist/cli/cert-assistant.mjs, scripts/build.mjs): the same main() that
// bin/cert-assistant.mjs runs through tsx.
import { main, processIO } from './main.ts';

process.exitCode = await main(process.argv.slice(2), processIO());
