// bagcheck.js BAGDIR: checks a bag with bagit-fs (npm), a BagIt
// implementation that is not qms's: every file under data/ is read through
// bagit-fs, which looks it up in manifest-sha256.txt and
// manifest-sha512.txt and compares its digest. Names that bagit-fs's
// manifest parser cannot hold (a space, "%", a newline) are counted and
// left to qms's own check and sha256sum. Prints "valid bag" or each
// failure, and exits 1 on any.
'use strict';
const fs = require('fs');
const path = require('path');
const BagIt = require('bagit-fs');

const dir = process.argv[2];
const files = [];
(function walk(d) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.isFile()) files.push(path.relative(path.join(dir, 'data'), p));
  }
})(path.join(dir, 'data'));

let failed = 0, checked = 0, skipped = 0;
const algos = ['sha256', 'sha512'];
let pending = 0;
for (const algo of algos) {
  const bag = BagIt(dir, algo);
  for (const f of files) {
    if (/[ %\n\r]/.test(f)) { skipped++; continue; }
    pending++;
    bag.readFile(f, (err) => {
      if (err) { failed++; console.log(`data/${f}: ${algo}: ${err.message}`); } else checked++;
      if (--pending === 0) done();
    });
  }
}
function done() {
  console.log(`${checked} digests checked, ${skipped} names skipped`);
  if (failed) process.exit(1);
  console.log('valid bag');
}
