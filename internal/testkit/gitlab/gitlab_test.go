package gitlab

import "testing"

func TestCheckCodeQuality(t *testing.T) {
	const ok = `{"description":"d","check_name":"c","fingerprint":"f","severity":"major","location":{"path":"a.md","lines":{"begin":1}}}`
	for _, tc := range []struct {
		name, report string
		valid        bool
	}{
		{"empty", `[]`, true},
		{"one", `[` + ok + `]`, true},
		{"null", `null`, false},
		{"object", ok, false},
		{"extra field", `[{"description":"d","check_name":"c","fingerprint":"f","severity":"major","categories":["x"],"location":{"path":"a.md","lines":{"begin":1}}}]`, false},
		{"no check_name", `[{"description":"d","fingerprint":"f","severity":"major","location":{"path":"a.md","lines":{"begin":1}}}]`, false},
		{"severity", `[{"description":"d","check_name":"c","fingerprint":"f","severity":"error","location":{"path":"a.md","lines":{"begin":1}}}]`, false},
		{"line 0", `[{"description":"d","check_name":"c","fingerprint":"f","severity":"minor","location":{"path":"a.md","lines":{"begin":0}}}]`, false},
		{"line string", `[{"description":"d","check_name":"c","fingerprint":"f","severity":"minor","location":{"path":"a.md","lines":{"begin":"1"}}}]`, false},
		{"absolute path", `[{"description":"d","check_name":"c","fingerprint":"f","severity":"minor","location":{"path":"/a.md","lines":{"begin":1}}}]`, false},
		{"positions", `[{"description":"d","check_name":"c","fingerprint":"f","severity":"minor","location":{"path":"a.md","positions":{"begin":{"line":1}}}}]`, false},
		{"same fingerprint", `[` + ok + `,` + ok + `]`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckCodeQuality([]byte(tc.report))
			if (err == nil) != tc.valid {
				t.Errorf("CheckCodeQuality(%s) = %v, want valid %v", tc.report, err, tc.valid)
			}
		})
	}
}
