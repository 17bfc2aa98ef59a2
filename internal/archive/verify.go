package archive

import (
	"bytes"
	"text/template"
)

// verifyTemplate is VERIFY.txt. Its commands (the lines indented by seven
// spaces) are run as they stand by the auditor test: keep them runnable.
var verifyTemplate = template.Must(template.New("VERIFY.txt").Parse(`HOW TO VERIFY THIS ARCHIVE
==========================

This is the quality-records archive {{.Name}}
of commit {{.Commit}} (branch {{.Branch}}),
committed {{.Time}}, made by qms {{.Tool}}.

The archive is a BagIt bag (RFC 8493, BagIt 1.0): any BagIt tool can
validate the folder {{.Top}} it unpacks to. This file is data/VERIFY.txt
in it.

You need only standard tools: gpg (GnuPG), sha256sum, tar, git, diff and a
web browser. You do not need qms. Run the commands below in a shell, in the
directory holding {{.Name}} and {{.Name}}.asc.

1. Check the signature. It signs the tag manifest, tagmanifest-sha256.txt,
   which lists the SHA-256 of bagit.txt, bag-info.txt and the manifests of
   every other file. Use an empty keyring, so that only the archive's key
   counts:

       export GNUPGHOME="$(mktemp -d)"
       tar -xzf {{.Name}} {{.Top}}/tagmanifest-sha256.txt {{.Top}}/data/keys/archive-signing-key.asc
       gpg --batch --import {{.Top}}/data/keys/archive-signing-key.asc
       gpg --batch --verify {{.Name}}.asc {{.Top}}/tagmanifest-sha256.txt

   gpg must say "Good signature" (a warning that the key is not certified
   with a trusted signature is expected).
{{- if .Signer}} The key must be the one with fingerprint

    {{.Signer}}

   Compare it with a copy you obtained independently (the company's quality
   manual, the archive contract): the key inside the archive proves nothing
   on its own.
{{- end}}

2. Unpack the archive and check every file against the manifests:

       tar -xzf {{.Name}}
       cd {{.Top}}
       sha256sum -c --strict --quiet tagmanifest-sha256.txt
       sed -e '/%/{s/\\/\\\\/g;s/%0A/\\n/g;s/%25/%/g;s/^/\\/;}' manifest-sha256.txt | sha256sum -c --strict --quiet
       find data -type f | wc -l
       find data -type f -exec cat {} + | wc -c

   No output from sha256sum means every file is intact. The sed command
   only turns BagIt's escapes (%0A for a newline in a file name, %25 for
   "%") into sha256sum's; without such names 'sha256sum -c
   manifest-sha256.txt' reads the manifest as it is. The last two commands
   count the payload's files and bytes: they must be the two numbers of
   Payload-Oxum in bag-info.txt (bytes.files), so that no file was added
   that the manifest does not list. BagIt manifests list files only:
   qms-symlinks.txt, which the tag manifest covers, lists each symbolic
   link under data/tree/ with its target (step 3 compares them too).

3. Check the Git history and its signatures:

       cd data
       git clone --quiet repo.bundle repo
       git -C repo bundle verify ../repo.bundle
       gpg --batch --import keys/*.asc
       git -C repo verify-commit {{.Commit}}
       diff -r --no-dereference --exclude=.git repo tree

   The bundle holds branch {{.Branch}} at the archived commit and every tag
   in its history, with every commit and tag signature: 'git -C repo log
   --show-signature' shows them. The last command compares the commit's
   files with tree/, symbolic links by their targets; no output means they
   agree. (Commits signed with SSH
   keys need an allowed-signers file: see 'git help config',
   gpg.ssh.allowedSignersFile; the public keys are under keys/.)

4. Read the records: open data/html/index.html in a web browser. The pages
   are plain HTML and work offline. The source of each record (markdown
   with YAML frontmatter) is under data/tree/.

data/archive.json says which format (2) and commit this is, when it was
made, how long it must be kept, and how many records of each kind it
holds; bag-info.txt says the same for BagIt tools.
`))

func verifyText(info Info, tool string) []byte {
	var b bytes.Buffer
	if tool == "" {
		tool = "(unknown version)"
	}
	err := verifyTemplate.Execute(&b, map[string]string{
		"Name": info.Name, "Top": info.Name[:len(info.Name)-len(Suffix)], "Commit": info.Commit,
		"Branch": info.Branch, "Time": info.CommitTime.UTC().Format("2006-01-02 15:04:05 UTC"),
		"Tool": tool, "Signer": info.Signer,
	})
	if err != nil {
		panic(err) // the template is fixed; its data are strings
	}
	return b.Bytes()
}
