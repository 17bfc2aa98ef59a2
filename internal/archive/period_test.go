package archive_test

import (
	"errors"
	"testing"

	"github.com/qms-tool/qms/internal/archive"
	"github.com/qms-tool/qms/internal/config"
)

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in      string
		y, d    int
		wantErr bool
	}{
		{"10y", 10, 0, false},
		{"15y", 15, 0, false},
		{"90d", 0, 90, false},
		{"10y30d", 10, 30, false},
		{"", 0, 0, true},
		{"0y", 0, 0, true},
		{"10", 0, 0, true},
		{"10Y", 0, 0, true},
		{"1y2y", 0, 0, true},
		{"-1y", 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p, err := archive.ParsePeriod(tc.in)
			if (err != nil) != tc.wantErr || p.Years != tc.y || p.Days != tc.d {
				t.Errorf("ParsePeriod(%q) = %+v, %v, want %dy%dd (error %v)", tc.in, p, err, tc.y, tc.d, tc.wantErr)
			}
			var pe *archive.PeriodError
			if err != nil && !errors.As(err, &pe) {
				t.Errorf("ParsePeriod(%q) = %v, want a *PeriodError", tc.in, err)
			}
		})
	}
}

func FuzzParsePeriod(f *testing.F) {
	f.Add("10y30d")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := archive.ParsePeriod(s)
		if err == nil && p.IsZero() {
			t.Fatalf("ParsePeriod(%q) accepted a zero period", s)
		}
	})
}

func TestPeriodString(t *testing.T) {
	tests := []struct {
		p    archive.Period
		want string
	}{
		{archive.Period{Years: 10}, "10 years"},
		{archive.Period{Years: 1, Days: 30}, "1 year 30 days"},
		{archive.Period{Days: 1}, "1 day"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.p.String(); got != tc.want {
				t.Errorf("%+v.String() = %q, want %q", tc.p, got, tc.want)
			}
		})
	}
}

func TestRetention(t *testing.T) {
	tests := []struct {
		name      string
		in        config.Archive
		want      archive.Period
		wantKinds map[string]archive.Period
		wantErr   string
	}{
		{"nothing set", config.Archive{}, archive.DefaultRetention, map[string]archive.Period{}, ""},
		{"both", config.Archive{Retain: "11y", RetainKinds: map[string]string{"document": "15y"}},
			archive.Period{Years: 11}, map[string]archive.Period{"document": {Years: 15}}, ""},
		{"bad base", config.Archive{Retain: "10"}, archive.Period{}, nil,
			`qms.yaml archive.retain "10": want years and days such as 10y, 90d or 10y30d`},
		{"bad kind", config.Archive{RetainKinds: map[string]string{"document": "0d"}}, archive.Period{}, nil,
			`qms.yaml archive.retain_kinds.document "0d": a retention of zero keeps nothing`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, kinds, err := archive.Retention(tc.in)
			if tc.wantErr != "" {
				var pe *archive.PeriodError
				if err == nil || err.Error() != tc.wantErr || !errors.As(err, &pe) {
					t.Fatalf("Retention(%+v) = %v, want a *PeriodError %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want || len(kinds) != len(tc.wantKinds) {
				t.Fatalf("Retention(%+v) = %+v, %+v, %v, want %+v, %+v", tc.in, got, kinds, err, tc.want, tc.wantKinds)
			}
			for k, p := range tc.wantKinds {
				if kinds[k] != p {
					t.Errorf("Retention(%+v) kind %s = %+v, want %+v", tc.in, k, kinds[k], p)
				}
			}
		})
	}
}
