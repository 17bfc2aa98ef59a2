// Package archive makes and reads qms's long-term archive: one deterministic,
// signed .tar.gz per commit that an auditor can check years later with
// nothing but gpg, sha256sum, tar, git and a browser. Where archives are
// kept, and how they come back, is package vault's.
package archive
