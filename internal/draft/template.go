package draft

import (
	"io/fs"

	"github.com/qms-tool/qms"
	"github.com/qms-tool/qms/internal/records"
)

// TemplateDir holds the record and notice templates, in the repository
// and among the built-in defaults.
const TemplateDir = "templates"

// NoTemplateError is returned when there is no template of the name.
type NoTemplateError struct{ Name string }

func (e *NoTemplateError) Error() string { return "no template for " + e.Name }

// Template finds the template called name: the repository's templates/
// first, then the built-in ones; with a level, name-level.md is preferred
// when one exists (an incident level's own remedy checklist). It returns
// the template and a name for messages ("(built-in) templates/x.md" for a
// default).
func Template(fsys fs.FS, name, level string) ([]byte, string, error) {
	var names []string
	if level != "" {
		names = append(names, name+"-"+level+".md")
	}
	names = append(names, name+".md")
	for _, n := range names {
		p := TemplateDir + "/" + n
		if records.Exists(fsys, p) {
			b, err := records.ReadFile(fsys, p)
			return b, p, err
		}
		if b, err := fs.ReadFile(qms.Defaults, p); err == nil {
			return b, "(built-in) " + p, nil
		}
	}
	return nil, "", &NoTemplateError{name}
}
