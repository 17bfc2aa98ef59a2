package records

import (
	"slices"

	"github.com/qms-tool/qms/internal/schema"
)

// keep returns the top-level fields an Entry keeps of each record (the
// values keywords that need other records apply to are its Refs): those
// the typed views read, and those such keywords name (on the record itself
// or on the one it refers to). A rule across records that reads another
// field by name must add it to viewFields, or the cache would not have it.
func keep(set *schema.Set) map[string]bool {
	keep := map[string]bool{}
	for _, f := range viewFields {
		keep[f] = true
	}
	for _, f := range Named(set) {
		keep[f] = true
	}
	return keep
}

// ViewFields names the fields the typed views read
// (Options.Fields for a caller that reads only those).
func ViewFields() map[string]bool {
	m := make(map[string]bool, len(viewFields))
	for _, f := range viewFields {
		m[f] = true
	}
	return m
}

// Named lists the fields the kinds' keywords that need other records name:
// the fields a previous run must share or precede, the date or plan a
// service is judged by, the plan a test is declared in.
func Named(set *schema.Set) []string {
	var out []string
	for _, n := range set.Names {
		for _, s := range set.Kinds[n].Sites {
			if !s.Cross() {
				continue
			}
			if p := s.Previous; p != nil {
				out = append(append(out, p.Same...), p.Before...)
			}
			if sv := s.Service; sv != nil {
				out = append(out, sv.At, sv.Plan)
			}
			if pt := s.PlanTest; pt != nil {
				out = append(out, pt.Plan)
			}
		}
	}
	return slices.DeleteFunc(out, func(f string) bool { return f == "" })
}
