package records

import "github.com/qms-tool/qms/internal/schema"

// Keep returns the top-level fields an Entry keeps of each record: those
// the typed views read, and for every x-qms keyword that needs other
// records, the field it applies to and the fields it names (on the record
// itself or on the one it refers to). Nil means every field (a kind's
// keyword applies to the whole frontmatter). A rule across records that
// reads another field must be added here, or the cache would not have it.
func Keep(set *schema.Set) map[string]bool {
	keep := map[string]bool{}
	for _, f := range viewFields {
		keep[f] = true
	}
	for _, n := range set.Names {
		for _, s := range set.Kinds[n].Sites {
			if !s.Cross() {
				continue
			}
			if len(s.Path) == 0 || s.Path[0] == "*" {
				return nil
			}
			keep[s.Path[0]] = true
			if p := s.Previous; p != nil {
				for _, x := range append(append([]string(nil), p.Same...), p.Before...) {
					keep[x] = true
				}
			}
			if sv := s.Service; sv != nil {
				keep[sv.At], keep[sv.Plan] = true, true
			}
			if pt := s.PlanTest; pt != nil {
				keep[pt.Plan] = true
			}
		}
	}
	delete(keep, "")
	return keep
}
