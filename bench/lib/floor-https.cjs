// The floor of a warm `trust verify` (issue 12): a bare Node script that does exactly the one thing
// a warm verify of an unchanged repository cannot avoid: start node, load node:https, make ONE HTTPS
// GET of timestamp.json to the same notary-server, trusting the same CA file alone (as
// `--tlscacert` does: src/transport/http.ts trusts the extra CA first), read the body, exit.
// No parsing, no signature, no cache. The bench runs it paired with `node -e 0` like the CLI, so
// the report can say "ours = floor + X ms".
//
//   node bench/lib/floor-https.cjs URL CA_FILE    prints the body length; exit 1 on a non-200 answer
'use strict';
const https = require('node:https');
const { readFileSync } = require('node:fs');

const [url, caFile] = process.argv.slice(2);
https
  .get(url, { ca: readFileSync(caFile) }, (res) => {
    let n = 0;
    res.on('data', (c) => {
      n += c.length;
    });
    res.on('end', () => {
      process.stdout.write(`${n}\n`);
      if (res.statusCode !== 200) process.exitCode = 1;
    });
  })
  .on('error', (e) => {
    process.stderr.write(`${e.message}\n`);
    process.exitCode = 3;
  });
