package archive

import (
	"bytes"
	"text/template"
)

var verifyTemplate = template.Must(template.New("VERIFY.txt").Parse(`HOW TO VERIFY THIS ARCHIVE
==========================

This is the quality-records archive {{.Name}}
of commit {{.Commit}} (branch {{.Branch}}),
committed {{.Time}}, made by qms {{.Tool}}.

You need only standard tools: gpg (GnuPG), sha256sum, tar, git and a web
browser. You do not need qms.

1. Check the archive's signature (before unpacking it). The signature is the
   file {{.Name}}.asc stored next to the archive.
{{- if .Signer}} It was made
   with the OpenPGP key whose fingerprint is

       {{.Signer}}

   Compare this fingerprint with one you obtained independently (for example
   from the company's quality manual or the archive contract): the copy of
   the key inside the archive proves nothing on its own.
{{- end}}

       export GNUPGHOME=$(mktemp -d)
       tar -xzf {{.Name}} {{.Top}}/keys/archive-signing-key.asc
       gpg --import {{.Top}}/keys/archive-signing-key.asc
       gpg --verify {{.Name}}.asc {{.Name}}

   gpg must say "Good signature". (A warning that the key is not certified
   with a trusted signature is expected in an empty keyring.)

2. Unpack the archive and check every file against the manifest:

       tar -xzf {{.Name}}
       cd {{.Top}}
       sha256sum -c --strict MANIFEST.sha256

   Every line must end in "OK". The manifest lists every regular file of the
   archive except itself; the archive signature covers the manifest.

3. Check the Git history and its signatures:

       git bundle verify repo.bundle
       git clone repo.bundle repo
       gpg --import keys/*.asc
       git -C repo verify-commit {{.Commit}}
       git -C repo log --show-signature

   The bundle holds the branch {{.Branch}} at the archived commit and every
   tag in its history, with all commit and tag signatures. The files under
   tree/ are the commit's files:

       git -C repo diff --stat {{.Commit}} -- ; diff -r --exclude=.git repo tree

   (no output from diff means they agree).

4. Read the records: open html/index.html in a web browser. The pages are
   plain HTML that work offline. The source of each record (markdown with
   YAML frontmatter) is under tree/records/.

archive.json says which commit this is, when it was made, how long it must
be kept, and how many records of each kind it holds.
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
