package render

// publicKind is the kind whose records may be published to everyone.
const publicKind = "document"

// publicPages keeps the pages of controlled documents marked public: what
// 'qms render --public' puts on a site served at a public address (the
// instructions for use). Everything else in the QMS stays internal.
func publicPages(pages []*page) []*page {
	var out []*page
	for _, p := range pages {
		if p.rec.Kind == publicKind && p.rec.Data["public"] == true {
			out = append(out, p)
		}
	}
	return out
}
