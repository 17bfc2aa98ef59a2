package draft

import (
	"regexp"
	"strings"

	"github.com/qms-tool/qms/internal/record"
)

var (
	emptyValue = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*): ""`)
	spaces     = regexp.MustCompile(`\s+`)
)

// templateShape is the concrete shape of a value for key, as the draft's
// template shows it, for a --set hint: a list of flow mappings the
// template fills in (its empty texts named after their keys,
// '[{id: A1, description: DESCRIPTION, ...}]'), or, for an empty list or
// mapping, the example the template's guidance gives for the field
// ("`objectives` per service, e.g. `backend: {rto_minutes: 120, ...}`"
// gives '{backend: {rto_minutes: 120, ...}}'). It is "" when the template
// shows none.
func templateShape(lines []string, r *record.Record, key string) string {
	if r == nil || key == "" {
		return ""
	}
	switch v := r.Data[key].(type) {
	case []any:
		if len(v) > 0 {
			return flowItems(lines, key)
		}
		if ex := guidanceExample(string(r.Body), key); ex != "" {
			if !strings.HasPrefix(ex, "[") {
				ex = "[" + ex + "]"
			}
			return "'" + ex + "'"
		}
	case map[string]any:
		if len(v) == 0 {
			if ex := guidanceExample(string(r.Body), key); ex != "" {
				if !strings.HasPrefix(ex, "{") {
					ex = "{" + ex + "}"
				}
				return "'" + ex + "'"
			}
		}
	}
	return ""
}

// flowItems joins the block list under key when every item is one flow
// mapping on its own line, as the template wrote them.
func flowItems(lines []string, key string) string {
	var items []string
	in := false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, key+":"):
			in = strings.TrimSpace(strings.TrimPrefix(l, key+":")) == ""
			continue
		case !in:
			continue
		}
		t := strings.TrimSpace(l)
		if !strings.HasPrefix(l, " ") || !strings.HasPrefix(t, "- {") || !strings.HasSuffix(t, "}") {
			break
		}
		items = append(items, emptyValue.ReplaceAllStringFunc(strings.TrimPrefix(t, "- "), func(m string) string {
			k := strings.TrimSuffix(m, `: ""`)
			return k + ": " + strings.ToUpper(k)
		}))
	}
	if len(items) == 0 {
		return ""
	}
	return "'[" + strings.Join(items, ", ") + "]'"
}

// guidanceExample finds the example the template's guidance gives for a field:
// the first "e.g. `...`" after "`key`" with no other code span between.
func guidanceExample(body, key string) string {
	body = spaces.ReplaceAllString(body, " ")
	i := strings.Index(body, "`"+key+"`")
	if i < 0 {
		return ""
	}
	rest := body[i+len(key)+2:]
	j := strings.Index(rest, "e.g. `")
	if j < 0 || strings.Contains(rest[:j], "`") || strings.Contains(rest[:j], ". ") {
		return ""
	}
	ex := rest[j+len("e.g. `"):]
	end := strings.Index(ex, "`")
	if end <= 0 || strings.ContainsAny(ex[:end], "'") {
		return ""
	}
	return ex[:end]
}
