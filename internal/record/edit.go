package record

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Set returns src with the frontmatter field at key (a path of mapping
// keys) set to value. The top-level field is rewritten where it stands;
// comments and the rest of the file are kept. A missing field is added at the
// end of the frontmatter.
func Set(src []byte, key []string, value any) ([]byte, error) {
	if len(key) == 0 || key[0] == "" {
		return nil, errors.New("empty field name")
	}
	r, fs := Parse("", src)
	if r == nil {
		if len(fs) > 0 {
			return nil, errors.New(fs[0].Message)
		}
		return nil, errors.New("not a record")
	}
	for _, f := range fs {
		if f.Severity == "error" {
			return nil, fmt.Errorf("line %d: %s", f.Line, f.Message)
		}
	}
	top := key[0]
	v := value
	if len(key) > 1 {
		cur, _ := r.Data[top].(map[string]any)
		v = setPath(cloneMap(cur), key[1:], value)
	}
	text := Emit(top, v)

	src = bytes.ReplaceAll(bytes.TrimPrefix(src, []byte("\xef\xbb\xbf")), []byte("\r\n"), []byte("\n"))
	lines := strings.SplitAfter(string(src), "\n")
	// Frontmatter occupies file lines 2 .. BodyLine-2 (1-based); the
	// closing fence is line BodyLine-1.
	closing := r.BodyLine - 1
	starts := map[int]string{}
	var order []int
	for k := range r.Data {
		l := r.Locate([]string{k}).Line
		starts[l] = k
		order = append(order, l)
	}
	sort.Ints(order)
	from, to := -1, closing // replace lines [from, to)
	for i, l := range order {
		if starts[l] == top {
			from = l
			if i+1 < len(order) {
				to = order[i+1]
			}
			break
		}
	}
	var b strings.Builder
	if from < 0 {
		for i := 1; i < closing; i++ {
			b.WriteString(lines[i-1])
		}
		b.WriteString(text)
		for i := closing; i <= len(lines); i++ {
			b.WriteString(lines[i-1])
		}
		return []byte(b.String()), nil
	}
	// Keep comment and blank lines that end the replaced field's block:
	// they belong to whatever follows.
	for to-1 > from && isTrivia(lines[to-2]) {
		to--
	}
	for i := 1; i < from; i++ {
		b.WriteString(lines[i-1])
	}
	b.WriteString(text)
	for i := to; i <= len(lines); i++ {
		b.WriteString(lines[i-1])
	}
	return []byte(b.String()), nil
}

func isTrivia(l string) bool {
	t := strings.TrimSpace(l)
	return t == "" || strings.HasPrefix(t, "#")
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func setPath(m map[string]any, key []string, v any) map[string]any {
	if len(key) == 1 {
		m[key[0]] = v
		return m
	}
	sub, _ := m[key[0]].(map[string]any)
	m[key[0]] = setPath(cloneMap(sub), key[1:], v)
	return m
}

// Emit writes "key: value" as block YAML, ending in a newline. Lists of
// scalars and empty collections are written in flow style.
func Emit(key string, v any) string {
	var b strings.Builder
	emit(&b, key, v, 0)
	return b.String()
}

func emit(b *strings.Builder, key string, v any, indent int) {
	pad := strings.Repeat("  ", indent)
	k := Quote(key)
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			fmt.Fprintf(b, "%s%s: {}\n", pad, k)
			return
		}
		fmt.Fprintf(b, "%s%s:\n", pad, k)
		keys := make([]string, 0, len(t))
		for kk := range t {
			keys = append(keys, kk)
		}
		sort.Strings(keys)
		for _, kk := range keys {
			emit(b, kk, t[kk], indent+1)
		}
	case []any:
		if flat(t) {
			fmt.Fprintf(b, "%s%s: %s\n", pad, k, Flow(t))
			return
		}
		fmt.Fprintf(b, "%s%s:\n", pad, k)
		for _, item := range t {
			fmt.Fprintf(b, "%s  - %s\n", pad, strings.TrimPrefix(Flow(item), ""))
		}
	default:
		fmt.Fprintf(b, "%s%s: %s\n", pad, k, Flow(v))
	}
}

func flat(l []any) bool {
	for _, v := range l {
		switch v.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

// Flow writes a value in YAML flow style on one line.
func Flow(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return Quote(t)
	case bool:
		return strconv.FormatBool(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case uint64:
		return strconv.FormatUint(t, 10)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = Flow(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = Quote(k) + ": " + Flow(t[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return Quote(fmt.Sprint(v))
}

var plainSafe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9 _.,()/@+'-]*$`)

// Quote writes a string as a YAML scalar: plain when that reads back as the
// same string, double-quoted otherwise.
func Quote(s string) string {
	if plainSafe.MatchString(s) && !strings.HasSuffix(s, " ") && !strings.Contains(s, " #") {
		if v, ok := Value(s).(string); ok && v == s {
			return s
		}
	}
	return strconv.Quote(s)
}
