package cli

import (
	"io/fs"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/records"
	"github.com/qms-tool/qms/internal/schema"
)

// documentKind is the kind of controlled documents, whose
// retention_years drive how long an archive holding them is locked.
const documentKind = "document"

// documentRetention is the longest retention_years of the controlled
// documents in tree (the zero Period when there are none, or the kind is
// not there). A document whose retention cannot be read counts for
// nothing here; 'qms validate' reports it.
func documentRetention(tree fs.FS, kinds *schema.Set) archive.Period {
	var best archive.Period
	k := kinds.Kinds[documentKind]
	if k == nil {
		return best
	}
	paths, _, err := records.ListKind(kinds, tree, k)
	if err != nil || len(paths) == 0 {
		return best
	}
	entries, err := records.Load(tree, kinds, paths, records.Options{Full: true})
	if err != nil {
		return best
	}
	for _, e := range entries {
		var years int
		switch v := e.Fields.Get("retention_years").(type) {
		case int:
			years = v
		case int64:
			years = int(v)
		case uint64:
			years = int(v)
		case float64:
			years = int(v)
		}
		if years > best.Years && years <= 100 {
			best = archive.Period{Years: years}
		}
	}
	return best
}

// commitDocuments reads the documents' retention in a commit of the
// workspace's repository, for vault.Required.Documents.
func commitDocuments(ws *workspace) func(commit string) archive.Period {
	tree := commitTree(ws)
	return func(commit string) archive.Period {
		t, err := tree(commit)
		if err != nil {
			return archive.Period{}
		}
		kinds, _ := schema.Load(qms.Defaults, t)
		return documentRetention(t, kinds)
	}
}
